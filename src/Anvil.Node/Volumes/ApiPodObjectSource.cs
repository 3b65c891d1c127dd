using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;

namespace Anvil.Node.Volumes;

/// <summary>Reads pods' configmaps, secrets and tokens from the API as the node (the Node authorizer decides).</summary>
public sealed class ApiPodObjectSource(KubeClient client, TimeProvider? time = null) : IPodObjectSource
{
    private static readonly ResourceRef ConfigMaps = new("", "v1", "configmaps", true);
    private static readonly ResourceRef Secrets = new("", "v1", "secrets", true);
    private static readonly ResourceRef ServiceAccounts = new("", "v1", "serviceaccounts", true);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public Task<JsonObject?> GetConfigMapAsync(string ns, string name, CancellationToken ct) => GetAsync(ConfigMaps, ns, name, ct);

    public Task<JsonObject?> GetSecretAsync(string ns, string name, CancellationToken ct) => GetAsync(Secrets, ns, name, ct);

    private async Task<JsonObject?> GetAsync(ResourceRef r, string ns, string name, CancellationToken ct)
    {
        try { return await client.GetAsync(r, ns, name, ct).ConfigureAwait(false); }
        catch (ApiException e) when (e.IsNotFound) { return null; }
    }

    public async Task<ServiceAccountToken> RequestTokenAsync(JsonObject pod, string serviceAccount, string audience, long expirationSeconds, CancellationToken ct)
    {
        var spec = new JsonObject
        {
            ["expirationSeconds"] = expirationSeconds,
            ["boundObjectRef"] = new JsonObject
            {
                ["kind"] = "Pod",
                ["apiVersion"] = "v1",
                ["name"] = ObjectMeta.Name(pod),
                ["uid"] = ObjectMeta.Uid(pod),
            },
        };
        if (audience.Length > 0) spec["audiences"] = new JsonArray(audience);
        var request = new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenRequest", ["spec"] = spec };
        var now = _time.GetUtcNow();
        var result = await client.SendAsync(HttpMethod.Post, ServiceAccounts.Path(ObjectMeta.Namespace(pod), serviceAccount, "token"), request, "application/json", ct).ConfigureAwait(false);
        var token = (string?)result["status"]?["token"] ?? throw new IOException("the token request returned no token");
        var expires = ObjectMeta.ParseTime(result["status"]?["expirationTimestamp"]) ?? now.AddSeconds(expirationSeconds);
        return new ServiceAccountToken(token, now, expires);
    }
}
