using System.Text.Json.Nodes;
using Anvil.ApiServer.Endpoints;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Authentication;

/// <summary>
/// POST serviceaccounts/{name}/token (<c>kubectl create token</c>): validates the TokenRequest, resolves the
/// bound pod, secret or node, and answers 201 with a signed token (pkg/registry/core/serviceaccount/storage/token.go).
/// </summary>
public sealed class TokenRequestHandler(ServiceAccountTokenIssuer issuer, ResourceCatalog catalog, ResourceStore store) : ISubresourceHandler
{
    public const long DefaultExpirationSeconds = 3600;
    public const long MinExpirationSeconds = 10 * 60;
    public const long MaxRequestableSeconds = 1L << 32;

    /// <summary>Longer requests are shortened to this, as <c>--service-account-max-token-expiration=8760h</c> does.</summary>
    public long MaxExpirationSeconds { get; init; } = 365L * 24 * 3600;

    private static readonly GroupVersionKind Gvk = new("authentication.k8s.io", "v1", "TokenRequest");

    public async Task<SubresourceResult> CreateAsync(SubresourceRequest request, CancellationToken ct)
    {
        var ns = request.Namespace;
        var name = request.Name;
        var body = request.Body;
        var meta = body["metadata"] as JsonObject ?? new JsonObject();
        var bodyName = Str(meta["name"]);
        var bodyNamespace = Str(meta["namespace"]);
        if (bodyName.Length > 0 && bodyName != name)
            throw Invalid(name, [FieldError.Invalid("metadata.name", bodyName, "must match the service account name if specified")]);
        if (bodyNamespace.Length > 0 && bodyNamespace != ns)
            throw Invalid(name, [FieldError.Invalid("metadata.namespace", bodyNamespace, "must match the service account namespace if specified")]);

        var sa = await GetAsync("serviceaccounts", ns, name, ct).ConfigureAwait(false)
            ?? throw StatusError.NotFound(new GroupResource("", "serviceaccounts"), name);

        var spec = body["spec"] as JsonObject ?? new JsonObject();
        var audiences = ReadAudiences(spec["audiences"]);
        if (audiences.Count == 0) audiences = issuer.ApiAudiences;
        var expiration = ReadExpiration(spec["expirationSeconds"]);
        var now = DateTimeOffset.FromUnixTimeSeconds(issuer.Time.GetUtcNow().ToUnixTimeSeconds());

        var errors = new List<FieldError>();
        if (expiration < MinExpirationSeconds)
            errors.Add(FieldError.Invalid("spec.expirationSeconds", expiration, "may not specify a duration less than 10 minutes"));
        if (expiration > MaxRequestableSeconds)
            errors.Add(FieldError.Invalid("spec.expirationSeconds", expiration, "may not specify a duration larger than 2^32 seconds"));
        if (errors.Count > 0) throw Invalid("", errors);

        TokenObjectReference? pod = null, secret = null, node = null;
        var boundRef = spec["boundObjectRef"] as JsonObject;
        if (boundRef != null) (pod, secret, node) = await ResolveBoundObjectAsync(ns, name, boundRef, ct).ConfigureAwait(false);

        if (MaxExpirationSeconds > 0 && expiration > MaxExpirationSeconds)
        {
            request.Options.Warnings.Add($"requested expiration of {expiration} seconds shortened to {MaxExpirationSeconds} seconds");
            expiration = MaxExpirationSeconds;
        }

        var claims = issuer.Claims(ns, new TokenObjectReference(name, ObjectMeta.Uid(sa)), audiences, expiration, pod, secret, node, now);
        var token = issuer.Sign(claims);

        var outMeta = new JsonObject();
        foreach (var (k, v) in meta) outMeta[k] = v?.DeepClone();
        outMeta["name"] = name;
        outMeta["namespace"] = ns;
        outMeta["creationTimestamp"] = ObjectMeta.FormatTime(now);
        var result = new JsonObject
        {
            ["kind"] = Gvk.Kind,
            ["apiVersion"] = Gvk.ApiVersion,
            ["metadata"] = outMeta,
            ["spec"] = new JsonObject
            {
                ["audiences"] = new JsonArray(audiences.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
                ["expirationSeconds"] = expiration,
                ["boundObjectRef"] = boundRef?.DeepClone(),
            },
            ["status"] = new JsonObject
            {
                ["token"] = token,
                ["expirationTimestamp"] = ObjectMeta.FormatTime(now.AddSeconds(expiration)),
            },
        };
        return new SubresourceResult(201, result);
    }

    private async Task<(TokenObjectReference? Pod, TokenObjectReference? Secret, TokenObjectReference? Node)> ResolveBoundObjectAsync(
        string ns, string saName, JsonObject boundRef, CancellationToken ct)
    {
        var kind = Str(boundRef["kind"]);
        var refName = Str(boundRef["name"]);
        var refUid = Str(boundRef["uid"]);
        var gvk = GroupVersionKind.FromApiVersion(Str(boundRef["apiVersion"]), kind);
        TokenObjectReference? pod = null, secret = null, node = null;
        string uid;
        switch (gvk.Group, gvk.Kind)
        {
            case ("", "Pod"):
            {
                var obj = await GetAsync("pods", ns, refName, ct).ConfigureAwait(false)
                    ?? throw StatusError.NotFound(new GroupResource("", "pods"), refName);
                // The ServiceAccount admission plugin sets "default" on every pod; read an unset name the same way.
                var podSa = Str(obj["spec"]?["serviceAccountName"]);
                if ((podSa.Length == 0 ? "default" : podSa) != saName)
                    throw StatusError.BadRequest($"cannot bind token for serviceaccount {GoQuote.Quote(saName)} to pod running with different serviceaccount name.");
                uid = ObjectMeta.Uid(obj);
                pod = new TokenObjectReference(refName, uid);
                var nodeName = Str(obj["spec"]?["nodeName"]);
                if (nodeName.Length > 0)
                {
                    // A missing node still leaves its name in the claims.
                    var n = await GetAsync("nodes", "", nodeName, ct).ConfigureAwait(false);
                    node = new TokenObjectReference(nodeName, n == null ? "" : ObjectMeta.Uid(n));
                }
                break;
            }
            case ("", "Node"):
            {
                var obj = await GetAsync("nodes", "", refName, ct).ConfigureAwait(false)
                    ?? throw StatusError.NotFound(new GroupResource("", "nodes"), refName);
                uid = ObjectMeta.Uid(obj);
                node = new TokenObjectReference(refName, uid);
                break;
            }
            case ("", "Secret"):
            {
                var obj = await GetAsync("secrets", ns, refName, ct).ConfigureAwait(false)
                    ?? throw StatusError.NotFound(new GroupResource("", "secrets"), refName);
                uid = ObjectMeta.Uid(obj);
                secret = new TokenObjectReference(refName, uid);
                break;
            }
            default:
                throw StatusError.BadRequest($"cannot bind token to object of type {gvk.Group}/{gvk.Version}, Kind={gvk.Kind}");
        }
        if (refUid.Length > 0 && refUid != uid)
            throw StatusError.Conflict(new GroupResource(gvk.Group, gvk.Kind), refName,
                $"the UID in the bound object reference ({refUid}) does not match the UID in record. The object might have been deleted and then recreated");
        return (pod, secret, node);
    }

    private async Task<JsonObject?> GetAsync(string resource, string ns, string name, CancellationToken ct)
    {
        var def = catalog.Find("", "v1", resource);
        if (def == null || name.Length == 0) return null;
        return (await store.TryGetAsync(def, def.Namespaced ? ns : "", name, ct).ConfigureAwait(false))?.Object;
    }

    private static IReadOnlyList<string> ReadAudiences(JsonNode? node) => node switch
    {
        null => [],
        JsonArray a => a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Undecodable(x?.GetValueKind().ToString().ToLowerInvariant() ?? "null", "TokenRequestSpec.spec.audiences", "string")).ToList(),
        _ => throw Undecodable(node.GetValueKind().ToString().ToLowerInvariant(), "TokenRequestSpec.spec.audiences", "[]string"),
    };

    private static long ReadExpiration(JsonNode? node)
    {
        if (node == null) return DefaultExpirationSeconds;
        if (node is JsonValue v && v.TryGetValue<long>(out var n)) return n;
        if (node is JsonValue d && d.TryGetValue<double>(out var x) && x == Math.Floor(x) && Math.Abs(x) < 9.2e18) return (long)x;
        throw Undecodable(node.GetValueKind() == System.Text.Json.JsonValueKind.Number ? "number" : node.GetValueKind().ToString().ToLowerInvariant(),
            "TokenRequestSpec.spec.expirationSeconds", "int64");
    }

    private static StatusError Undecodable(string jsonKind, string field, string goType) =>
        StatusError.BadRequest($"TokenRequest in version \"v1\" cannot be handled as a TokenRequest: json: cannot unmarshal {jsonKind} into Go struct field {field} of type {goType}");

    /// <summary>errors.NewInvalid with the group-qualified kind: <c>TokenRequest.authentication.k8s.io "" is invalid: ...</c>.</summary>
    private static StatusError Invalid(string name, IReadOnlyList<FieldError> errors)
    {
        var summary = errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors.Select(e => e.ToString())) + "]";
        var plain = StatusError.Invalid(Gvk, name, errors);
        return new StatusError(422, "Invalid", $"{Gvk.Kind}.{Gvk.Group} {GoQuote.Quote(name)} is invalid: {summary}")
        {
            DetailsName = name.Length > 0 ? name : null,
            DetailsGroup = Gvk.Group,
            DetailsKind = Gvk.Kind,
            Causes = plain.Causes,
        };
    }

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
