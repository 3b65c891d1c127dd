using System.Text.Json.Nodes;
using Anvil.Node.Volumes;

namespace Anvil.Node.Tests;

/// <summary>Config maps and secrets by name, and tokens numbered by request.</summary>
internal sealed class FakeObjects : IPodObjectSource
{
    public Dictionary<string, JsonObject> ConfigMaps { get; } = [];
    public Dictionary<string, JsonObject> Secrets { get; } = [];
    public List<(string Sa, string Audience, long Seconds)> TokenRequests { get; } = [];
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    public Task<JsonObject?> GetConfigMapAsync(string ns, string name, CancellationToken ct) => Task.FromResult(ConfigMaps.GetValueOrDefault(name));

    public Task<JsonObject?> GetSecretAsync(string ns, string name, CancellationToken ct) => Task.FromResult(Secrets.GetValueOrDefault(name));

    public Task<ServiceAccountToken> RequestTokenAsync(JsonObject pod, string serviceAccount, string audience, long expirationSeconds, CancellationToken ct)
    {
        TokenRequests.Add((serviceAccount, audience, expirationSeconds));
        var now = DateTimeOffset.UtcNow;
        return Task.FromResult(new ServiceAccountToken("token-" + TokenRequests.Count, now, now + TokenLifetime));
    }

    public static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;
}
