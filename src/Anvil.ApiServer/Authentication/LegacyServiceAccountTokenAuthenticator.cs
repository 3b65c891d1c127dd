using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Authentication;

/// <summary>
/// Accepts the legacy tokens that the token controller writes into Secrets of type
/// <c>kubernetes.io/service-account-token</c> (pkg/serviceaccount/legacy.go): issuer <c>kubernetes/serviceaccount</c>,
/// signed by the service account key, valid while the secret still holds exactly this token and the service account
/// still exists with the uid in the token. They do not expire.
/// </summary>
public sealed class LegacyServiceAccountTokenAuthenticator(ServiceAccountSigningKey key, ResourceCatalog catalog, ResourceStore store) : ITokenAuthenticator
{
    public const string Issuer = "kubernetes/serviceaccount";
    public const string NamespaceClaim = "kubernetes.io/serviceaccount/namespace";
    public const string SecretNameClaim = "kubernetes.io/serviceaccount/secret.name";
    public const string ServiceAccountNameClaim = "kubernetes.io/serviceaccount/service-account.name";
    public const string ServiceAccountUidClaim = "kubernetes.io/serviceaccount/service-account.uid";

    public async ValueTask<TokenAuthenticationResult> AuthenticateTokenAsync(string token, IReadOnlyList<string>? audiences, CancellationToken ct)
    {
        var jwt = JsonWebToken.TryParse(token);
        if (jwt == null || Str(jwt.Claims["iss"]) != Issuer) return TokenAuthenticationResult.NotRecognized;
        bool valid;
        try { valid = jwt.Verify(key.Key); }
        catch (CryptographicException) { valid = false; }
        if (!valid) return TokenAuthenticationResult.Failed("go-jose/go-jose: error in cryptographic primitive");
        var ns = Str(jwt.Claims[NamespaceClaim]);
        var secretName = Str(jwt.Claims[SecretNameClaim]);
        var saName = Str(jwt.Claims[ServiceAccountNameClaim]);
        var saUid = Str(jwt.Claims[ServiceAccountUidClaim]);
        if (ns.Length == 0) return TokenAuthenticationResult.Failed("namespace claim is missing");
        if (secretName.Length == 0) return TokenAuthenticationResult.Failed("secretName claim is missing");
        if (saName.Length == 0) return TokenAuthenticationResult.Failed("serviceAccountName claim is missing");
        if (saUid.Length == 0) return TokenAuthenticationResult.Failed("serviceAccountUID claim is missing");

        var secret = await GetAsync("secrets", ns, secretName, ct).ConfigureAwait(false);
        if (secret == null || ObjectMeta.IsDeleting(secret)) return TokenAuthenticationResult.Failed("token has been invalidated");
        if (!SecretHolds(secret, token)) return TokenAuthenticationResult.Failed("token does not match secret");
        var sa = await GetAsync("serviceaccounts", ns, saName, ct).ConfigureAwait(false);
        if (sa == null) return TokenAuthenticationResult.Failed($"serviceaccounts \"{saName}\" not found");
        if (ObjectMeta.IsDeleting(sa)) return TokenAuthenticationResult.Failed($"ServiceAccount {ns}/{saName} has been deleted");
        if (ObjectMeta.Uid(sa) != saUid) return TokenAuthenticationResult.Failed($"ServiceAccount UID ({ObjectMeta.Uid(sa)}) does not match claim ({saUid})");

        var user = new UserInfo(ServiceAccountUser.MakeUsername(ns, saName),
            [.. ServiceAccountUser.MakeGroupNames(ns), ServiceAccountUser.AllAuthenticatedGroup], saUid);
        return new TokenAuthenticationResult(user, audiences ?? [], "");
    }

    private static bool SecretHolds(JsonObject secret, string token)
    {
        var data = Str(secret["data"]?["token"]);
        try { return CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(data), Encoding.UTF8.GetBytes(token)); }
        catch (FormatException) { return false; }
    }

    private async Task<JsonObject?> GetAsync(string resource, string ns, string name, CancellationToken ct)
    {
        var def = catalog.Find("", "v1", resource);
        if (def == null) return null;
        return (await store.TryGetAsync(def, ns, name, ct).ConfigureAwait(false))?.Object;
    }

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
