using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Authentication;

/// <summary>
/// The claims of a service account token (pkg/serviceaccount/claims.go): the registered JWT claims and the
/// private <c>kubernetes.io</c> claim naming the service account and what the token is bound to.
/// </summary>
public sealed record ServiceAccountTokenClaims
{
    public required string Issuer { get; init; }
    public required IReadOnlyList<string> Audiences { get; init; }
    public required DateTimeOffset IssuedAt { get; init; }
    public required DateTimeOffset NotBefore { get; init; }
    public required DateTimeOffset Expiry { get; init; }
    /// <summary>The <c>jti</c>: a random UUID, reported as the credential id.</summary>
    public required string Id { get; init; }
    public required string Namespace { get; init; }
    public required TokenObjectReference ServiceAccount { get; init; }
    public TokenObjectReference? Pod { get; init; }
    public TokenObjectReference? Secret { get; init; }
    public TokenObjectReference? Node { get; init; }

    public string Subject => ServiceAccountUser.MakeUsername(Namespace, ServiceAccount.Name);

    /// <summary>The payload, keys sorted as Go's JOSE library writes them.</summary>
    public JsonObject ToJson()
    {
        var k8s = new JsonObject { ["namespace"] = Namespace };
        if (Node != null) k8s["node"] = Ref(Node);
        if (Pod != null) k8s["pod"] = Ref(Pod);
        if (Secret != null) k8s["secret"] = Ref(Secret);
        k8s["serviceaccount"] = Ref(ServiceAccount);
        return new JsonObject
        {
            ["aud"] = new JsonArray(Audiences.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
            ["exp"] = Expiry.ToUnixTimeSeconds(),
            ["iat"] = IssuedAt.ToUnixTimeSeconds(),
            ["iss"] = Issuer,
            ["jti"] = Id,
            ["kubernetes.io"] = k8s,
            ["nbf"] = NotBefore.ToUnixTimeSeconds(),
            ["sub"] = Subject,
        };
    }

    private static JsonObject Ref(TokenObjectReference r)
    {
        var o = new JsonObject();
        if (r.Name.Length > 0) o["name"] = r.Name;
        if (r.Uid.Length > 0) o["uid"] = r.Uid;
        return o;
    }

    /// <summary>Reads a payload; null when a claim has the wrong type or the <c>kubernetes.io</c> claim is missing.</summary>
    public static ServiceAccountTokenClaims? FromJson(JsonObject payload)
    {
        try
        {
            if (payload["kubernetes.io"] is not JsonObject k8s || k8s["serviceaccount"] is not JsonObject sa) return null;
            IReadOnlyList<string> audiences = payload["aud"] switch
            {
                null => [],
                JsonArray a => a.Select(x => x!.GetValue<string>()).ToList(),
                var v => [v.GetValue<string>()],
            };
            return new ServiceAccountTokenClaims
            {
                Issuer = Str(payload["iss"]),
                Audiences = audiences,
                IssuedAt = Time(payload["iat"]),
                NotBefore = Time(payload["nbf"]),
                Expiry = payload["exp"] == null ? DateTimeOffset.MaxValue : Time(payload["exp"]),
                Id = Str(payload["jti"]),
                Namespace = Str(k8s["namespace"]),
                ServiceAccount = ReadRef(sa)!,
                Pod = ReadRef(k8s["pod"]),
                Secret = ReadRef(k8s["secret"]),
                Node = ReadRef(k8s["node"]),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static string Str(JsonNode? n) => n == null ? "" : n.GetValue<string>();

    private static DateTimeOffset Time(JsonNode? n) => n switch
    {
        null => DateTimeOffset.MinValue,
        JsonValue v when v.TryGetValue<long>(out var seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds),
        _ => DateTimeOffset.FromUnixTimeSeconds((long)Math.Floor(n.GetValue<double>())),
    };

    private static TokenObjectReference? ReadRef(JsonNode? n) =>
        n is JsonObject o ? new TokenObjectReference(Str(o["name"]), Str(o["uid"])) : null;
}
