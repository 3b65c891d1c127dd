using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.ServiceAccount;

/// <summary>
/// The service account token controller (pkg/controller/serviceaccount/tokens_controller.go) for manually created
/// legacy token Secrets: a Secret of type <c>kubernetes.io/service-account-token</c> naming a service account in the
/// annotation <c>kubernetes.io/service-account.name</c> is filled with a non-expiring <c>token</c> signed with the
/// service account key (<c>--service-account-private-key-file</c>), <c>ca.crt</c> (<c>--root-ca-file</c>) and
/// <c>namespace</c>, and gets the account's uid annotation; it is deleted when its service account is gone (or
/// replaced: the uid differs). Runs as the controller manager itself, as upstream's does.
/// </summary>
public sealed class TokensController : Controller
{
    public const string SecretType = "kubernetes.io/service-account-token";
    public const string NameAnnotation = "kubernetes.io/service-account.name";
    public const string UidAnnotation = "kubernetes.io/service-account.uid";

    private readonly KubeClient _client;
    private readonly RSA _key;
    private readonly string _keyId;
    private readonly string _caPem;
    private readonly Informer _secrets;
    private readonly Informer _serviceAccounts;

    public override string Name => "serviceaccount-token";

    public TokensController(KubeClient client, RSA signingKey, string caPem, ILogger log, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        _key = signingKey;
        _keyId = Base64Url.EncodeToString(SHA256.HashData(signingKey.ExportSubjectPublicKeyInfo()));
        _caPem = caPem;
        _secrets = informers.For(ServiceAccountResources.Secrets, "", "fieldSelector=" + Uri.EscapeDataString("type=" + SecretType));
        _serviceAccounts = informers.For(ServiceAccountResources.ServiceAccounts);
        _secrets.Added += s => Queue.Add(Informer.KeyOf(s));
        _secrets.Updated += (_, s) => Queue.Add(Informer.KeyOf(s));
        _serviceAccounts.Added += EnqueueTokensOf;
        _serviceAccounts.Deleted += EnqueueTokensOf;
    }

    protected override IEnumerable<Informer> Informers => [_serviceAccounts, _secrets];

    private void EnqueueTokensOf(JsonObject sa)
    {
        var ns = ObjectMeta.Namespace(sa);
        var name = ObjectMeta.Name(sa);
        foreach (var s in _secrets.List())
            if (ObjectMeta.Namespace(s) == ns && (string?)ObjectMeta.Annotations(s)?[NameAnnotation] == name) Queue.Add(Informer.KeyOf(s));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        if (_secrets.Get(key) is not { } secret || (string?)secret["type"] != SecretType || ObjectMeta.IsDeleting(secret)) return;
        var ns = ObjectMeta.Namespace(secret);
        var name = ObjectMeta.Name(secret);
        var saName = (string?)ObjectMeta.Annotations(secret)?[NameAnnotation] ?? "";
        var saUid = (string?)ObjectMeta.Annotations(secret)?[UidAnnotation] ?? "";
        var sa = saName.Length == 0 ? null : _serviceAccounts.Get(ns + "/" + saName);
        if (sa == null || saUid.Length > 0 && saUid != ObjectMeta.Uid(sa))
        {
            // Confirm with a live read before deleting: the cache may lag a service account created just now.
            sa = await LiveServiceAccountAsync(ns, saName, ct).ConfigureAwait(false);
            if (sa == null || saUid.Length > 0 && saUid != ObjectMeta.Uid(sa))
            {
                try { await _client.DeleteAsync(ServiceAccountResources.Secrets, ns, name, preconditionUid: ObjectMeta.Uid(secret), ct: ct).ConfigureAwait(false); }
                catch (ApiException e) when (e.IsNotFound || e.Code == 409) { }
                return;
            }
        }
        var data = secret["data"] as JsonObject;
        var needsToken = Str(data?["token"]).Length == 0;
        var needsCa = Str(data?["ca.crt"]) != B64(_caPem);
        var needsNamespace = Str(data?["namespace"]) != B64(ns);
        if (!needsToken && !needsCa && !needsNamespace && saUid.Length > 0) return;

        var updated = (JsonObject)secret.DeepClone();
        if (updated["data"] is not JsonObject newData) updated["data"] = newData = new JsonObject();
        if (needsCa) newData["ca.crt"] = B64(_caPem);
        if (needsNamespace) newData["namespace"] = B64(ns);
        if (needsToken) newData["token"] = B64(LegacyToken(ns, name, saName, ObjectMeta.Uid(sa)));
        var meta = ObjectMeta.Of(updated);
        if (meta["annotations"] is not JsonObject annotations) meta["annotations"] = annotations = new JsonObject();
        annotations[NameAnnotation] = saName;
        annotations[UidAnnotation] = ObjectMeta.Uid(sa);
        try { await _client.UpdateAsync(ServiceAccountResources.Secrets, ns, name, updated, ct: ct).ConfigureAwait(false); }
        catch (ApiException e) when (e.IsNotFound) { }
    }

    private async Task<JsonObject?> LiveServiceAccountAsync(string ns, string name, CancellationToken ct)
    {
        if (name.Length == 0) return null;
        try { return await _client.GetAsync(ServiceAccountResources.ServiceAccounts, ns, name, ct).ConfigureAwait(false); }
        catch (ApiException e) when (e.IsNotFound) { return null; }
    }

    /// <summary>A legacy token (pkg/serviceaccount/legacy.go): issuer <c>kubernetes/serviceaccount</c>, no expiry.</summary>
    public string LegacyToken(string ns, string secretName, string saName, string saUid)
    {
        var header = new JsonObject { ["alg"] = "RS256", ["kid"] = _keyId };
        var claims = new JsonObject
        {
            ["iss"] = "kubernetes/serviceaccount",
            ["kubernetes.io/serviceaccount/namespace"] = ns,
            ["kubernetes.io/serviceaccount/secret.name"] = secretName,
            ["kubernetes.io/serviceaccount/service-account.name"] = saName,
            ["kubernetes.io/serviceaccount/service-account.uid"] = saUid,
            ["sub"] = $"system:serviceaccount:{ns}:{saName}",
        };
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return input + "." + Base64Url.EncodeToString(signature);
    }

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
