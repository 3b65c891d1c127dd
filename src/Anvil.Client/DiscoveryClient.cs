using System.Text.Json.Nodes;

namespace Anvil.Client;

/// <summary>Reads the legacy discovery documents: every top-level resource of every served group/version.</summary>
public sealed class DiscoveryClient(KubeClient client)
{
    public async Task<IReadOnlyList<ApiResource>> ServerResourcesAsync(CancellationToken ct)
    {
        var result = new List<ApiResource>();
        var core = await client.SendAsync(HttpMethod.Get, "/api", null, null, ct).ConfigureAwait(false);
        foreach (var v in (core["versions"] as JsonArray ?? []).Select(n => (string?)n).OfType<string>())
            await AddAsync(result, "", v, $"/api/{v}", ct).ConfigureAwait(false);
        var groups = await client.SendAsync(HttpMethod.Get, "/apis", null, null, ct).ConfigureAwait(false);
        foreach (var g in (groups["groups"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = (string?)g["name"] ?? "";
            var version = (string?)g["preferredVersion"]?["version"];
            if (version != null) await AddAsync(result, name, version, $"/apis/{name}/{version}", ct).ConfigureAwait(false);
        }
        return result;
    }

    private async Task AddAsync(List<ApiResource> result, string group, string version, string path, CancellationToken ct)
    {
        JsonObject list;
        try
        {
            list = await client.SendAsync(HttpMethod.Get, path, null, null, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return; // a group going away between the two reads
        }
        foreach (var r in (list["resources"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = (string?)r["name"] ?? "";
            if (name.Contains('/')) continue;
            var verbs = (r["verbs"] as JsonArray ?? []).Select(v => (string?)v).OfType<string>().ToList();
            result.Add(new ApiResource(new ResourceRef(group, version, name, (bool?)r["namespaced"] ?? false), (string?)r["kind"] ?? "", verbs));
        }
    }
}
