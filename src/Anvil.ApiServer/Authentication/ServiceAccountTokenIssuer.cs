using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Authentication;

/// <summary>
/// Mints service account tokens (kube-apiserver's TokenGenerator): RS256 JWTs with the issuer and
/// audiences of this API server. The same instance's key verifies them again.
/// </summary>
public sealed class ServiceAccountTokenIssuer
{
    /// <summary>The issuer kubeadm configures, which is also the API server's audience.</summary>
    public const string DefaultIssuer = "https://kubernetes.default.svc.cluster.local";

    public ServiceAccountTokenIssuer(ServiceAccountSigningKey key, TimeProvider time, string issuer = DefaultIssuer, IReadOnlyList<string>? apiAudiences = null)
    {
        SigningKey = key;
        Time = time;
        Issuer = issuer;
        ApiAudiences = apiAudiences ?? [issuer];
    }

    public ServiceAccountSigningKey SigningKey { get; }
    public TimeProvider Time { get; }
    public string Issuer { get; }

    /// <summary>The audiences the API server accepts (<c>--api-audiences</c>; defaults to the issuer).</summary>
    public IReadOnlyList<string> ApiAudiences { get; }

    /// <summary>Claims for a token issued now; the caller signs them with <see cref="Sign"/>.</summary>
    public ServiceAccountTokenClaims Claims(string ns, TokenObjectReference serviceAccount, IReadOnlyList<string> audiences, long expirationSeconds,
        TokenObjectReference? pod = null, TokenObjectReference? secret = null, TokenObjectReference? node = null, DateTimeOffset? now = null)
    {
        var at = DateTimeOffset.FromUnixTimeSeconds((now ?? Time.GetUtcNow()).ToUnixTimeSeconds());
        return new ServiceAccountTokenClaims
        {
            Issuer = Issuer,
            Audiences = audiences,
            IssuedAt = at,
            NotBefore = at,
            Expiry = at.AddSeconds(expirationSeconds),
            Id = Guid.NewGuid().ToString(),
            Namespace = ns,
            ServiceAccount = serviceAccount,
            // As upstream: a token is bound to a pod or a secret, not both.
            Pod = pod,
            Secret = pod == null ? secret : null,
            Node = node,
        };
    }

    public string Sign(ServiceAccountTokenClaims claims) =>
        JsonWebToken.Sign(new JsonObject { ["alg"] = ServiceAccountSigningKey.Algorithm, ["kid"] = SigningKey.KeyId }, claims.ToJson(), SigningKey.Key);
}
