using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Endpoints;
using Anvil.ApiServer.Metrics;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Kubelet;

/// <summary>
/// Scrapes a node's kubelet <c>GET /stats/summary</c> (at the node's InternalIP and kubelet port) as
/// metrics-server does, reading the node's and containers' <c>usageNanoCores</c> and <c>workingSetBytes</c>.
/// The Summary API carries no window: it is reported as metrics-server's resolution (15 s), the span the
/// kubelet's rates are taken over.
/// </summary>
public sealed class KubeletStats(ResourceCatalog catalog, ResourceStore store, Func<KubeletClient?> client, ILogger log) : INodeStats
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(15);

    public async Task<NodeStatsSummary?> SummaryAsync(string nodeName, CancellationToken ct)
    {
        if (client() is not { } kubelet) return null;
        JsonObject node;
        try
        {
            node = await store.GetAsync(catalog.Find("", "v1", "nodes")!, "", nodeName, ct).ConfigureAwait(false);
        }
        catch (StatusError e) when (e.Code == 404)
        {
            return null;
        }
        var (host, port) = ApiHandler.KubeletAddress(node);
        if (host == null) return null;
        var url = new Uri($"https://{(host.Contains(':') ? $"[{host}]" : host)}:{port}/stats/summary");
        try
        {
            using var response = await kubelet.GetAsync(url, ct).ConfigureAwait(false);
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                log.LogWarning("scraping kubelet failed node={Node} status={Status}", nodeName, (int)response.StatusCode);
                return null;
            }
            var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)) as JsonObject;
            return doc == null ? null : Parse(doc);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or System.Security.Authentication.AuthenticationException
            || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            log.LogWarning("scraping kubelet failed node={Node} error={Error}", nodeName, e.Message);
            return null;
        }
    }

    /// <summary>The metrics API's view of a Summary API document; entries without CPU or memory are left out.</summary>
    public static NodeStatsSummary Parse(JsonObject summary)
    {
        var containers = new List<ContainerStatsSummary>();
        foreach (var pod in (summary["pods"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var ns = (string?)pod["podRef"]?["namespace"] ?? "";
            var name = (string?)pod["podRef"]?["name"] ?? "";
            foreach (var c in (pod["containers"] as JsonArray ?? []).OfType<JsonObject>())
                if (Usage(c) is { } u) containers.Add(new ContainerStatsSummary(ns, name, (string?)c["name"] ?? "", u));
        }
        return new NodeStatsSummary(summary["node"] is JsonObject n ? Usage(n) : null, containers);
    }

    private static MetricsUsage? Usage(JsonObject stats)
    {
        if (stats["cpu"]?["usageNanoCores"] is not JsonValue cpu || !cpu.TryGetValue<ulong>(out var nanoCores)) return null;
        if (stats["memory"]?["workingSetBytes"] is not JsonValue mem || !mem.TryGetValue<ulong>(out var memory)) return null;
        var time = (string?)stats["cpu"]?["time"] ?? (string?)stats["memory"]?["time"];
        if (time == null || !DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) return null;
        return new MetricsUsage(at, Window, nanoCores, memory);
    }
}
