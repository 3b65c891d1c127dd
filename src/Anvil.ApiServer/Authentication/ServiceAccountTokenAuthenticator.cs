using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Authentication;

/// <summary>
/// Accepts the tokens <see cref="ServiceAccountTokenIssuer"/> signed (pkg/serviceaccount/jwt.go and claims.go):
/// issuer, signature, audience, time, and that the service account and the pod, secret or node the token is
/// bound to still exist with the uid in the token. Tokens of another issuer are not recognised (another
/// authenticator may know them).
/// </summary>
public sealed class ServiceAccountTokenAuthenticator(ServiceAccountTokenIssuer issuer, ResourceCatalog catalog, ResourceStore store) : ITokenAuthenticator
{
    /// <summary>go-jose's default leeway for exp/nbf/iat, also the grace for objects being deleted.</summary>
    public static readonly TimeSpan Leeway = TimeSpan.FromMinutes(1);

    public const string Invalidated = "service account token has been invalidated";

    public async ValueTask<TokenAuthenticationResult> AuthenticateTokenAsync(string token, IReadOnlyList<string>? audiences, CancellationToken ct)
    {
        var jwt = JsonWebToken.TryParse(token);
        // Issuer peeked before the signature is checked, so foreign tokens are left to other authenticators.
        if (jwt == null || jwt.Claims["iss"] is not JsonValue iss || !iss.TryGetValue<string>(out var issuerName) || issuerName != issuer.Issuer)
            return TokenAuthenticationResult.NotRecognized;
        bool valid;
        try
        {
            valid = jwt.Verify(issuer.SigningKey.Key);
        }
        catch (CryptographicException)
        {
            valid = false;
        }
        if (!valid) return TokenAuthenticationResult.Failed("go-jose/go-jose: error in cryptographic primitive");
        var claims = ServiceAccountTokenClaims.FromJson(jwt.Claims);
        if (claims == null) return TokenAuthenticationResult.Failed("service account token claims could not be validated due to unexpected private claim");

        var tokenAudiences = claims.Audiences.Count > 0 ? claims.Audiences : issuer.ApiAudiences;
        var requested = audiences is { Count: > 0 } ? audiences : issuer.ApiAudiences;
        var granted = tokenAudiences.Where(requested.Contains).Distinct().ToList();
        if (granted.Count == 0)
            return TokenAuthenticationResult.Failed($"token audiences {GoStrings(tokenAudiences)} is invalid for the target audiences {GoStrings(requested)}");

        var error = await ValidateAsync(claims, ct).ConfigureAwait(false);
        if (error != null) return TokenAuthenticationResult.Failed(error);
        return new TokenAuthenticationResult(ServiceAccountUser.For(claims), granted, "");
    }

    /// <summary>claims.go's validator: times, then the named objects. Null when the token holds.</summary>
    private async Task<string?> ValidateAsync(ServiceAccountTokenClaims c, CancellationToken ct)
    {
        var now = issuer.Time.GetUtcNow();
        if (now + Leeway < c.NotBefore) return "service account token is not valid yet";
        if (now - Leeway > c.Expiry) return "service account token has expired";
        if (now + Leeway < c.IssuedAt) return "service account token claims could not be validated due to unexpected validation error";

        var deletedBefore = now - Leeway;
        var ns = c.Namespace;
        var sa = await GetAsync("serviceaccounts", ns, c.ServiceAccount.Name, ct).ConfigureAwait(false);
        if (sa == null) return $"serviceaccounts \"{c.ServiceAccount.Name}\" not found";
        if (DeletedBefore(sa, deletedBefore)) return $"service account {ns}/{c.ServiceAccount.Name} has been deleted";
        if (ObjectMeta.Uid(sa) != c.ServiceAccount.Uid) return $"service account UID ({ObjectMeta.Uid(sa)}) does not match claim ({c.ServiceAccount.Uid})";

        if (c.Secret is { } secretRef)
        {
            var secret = await GetAsync("secrets", ns, secretRef.Name, ct).ConfigureAwait(false);
            if (secret == null || DeletedBefore(secret, deletedBefore)) return Invalidated;
            if (ObjectMeta.Uid(secret) != secretRef.Uid) return $"secret UID ({ObjectMeta.Uid(secret)}) does not match service account secret ref claim ({secretRef.Uid})";
        }
        if (c.Pod is { } podRef)
        {
            var pod = await GetAsync("pods", ns, podRef.Name, ct).ConfigureAwait(false);
            if (pod == null || DeletedBefore(pod, deletedBefore)) return Invalidated;
            if (ObjectMeta.Uid(pod) != podRef.Uid) return $"pod UID ({ObjectMeta.Uid(pod)}) does not match service account pod ref claim ({podRef.Uid})";
        }
        else if (c.Node is { } nodeRef)
        {
            // Bound to the node itself (a pod-bound token only carries the node's name and uid for information).
            var node = await GetAsync("nodes", "", nodeRef.Name, ct).ConfigureAwait(false);
            if (node == null) return Invalidated;
            if (ObjectMeta.Uid(node) != nodeRef.Uid) return $"node UID ({ObjectMeta.Uid(node)}) does not match service account node ref claim ({nodeRef.Uid})";
        }
        return null;
    }

    private async Task<JsonObject?> GetAsync(string resource, string ns, string name, CancellationToken ct)
    {
        if (name.Length == 0) return null;
        var def = catalog.Find("", "v1", resource);
        if (def == null) return null;
        return (await store.TryGetAsync(def, def.Namespaced ? ns : "", name, ct).ConfigureAwait(false))?.Object;
    }

    private static bool DeletedBefore(JsonObject obj, DateTimeOffset limit) =>
        ObjectMeta.ParseTime(obj["metadata"]?["deletionTimestamp"]) is { } deleted && deleted < limit;

    /// <summary>Go's %q of a []string: <c>["a" "b"]</c>.</summary>
    internal static string GoStrings(IEnumerable<string> values) => "[" + string.Join(' ', values.Select(GoQuote.Quote)) + "]";
}
