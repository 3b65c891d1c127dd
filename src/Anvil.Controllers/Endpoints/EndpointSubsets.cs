using System.Text.Json.Nodes;
using Anvil.Controllers.Deployment;

namespace Anvil.Controllers.Endpoints;

/// <summary>
/// Endpoints subsets in canonical form (pkg/api/v1/endpoints RepackSubsets): addresses sharing the same set
/// of ports are folded into one subset; an address not ready on a port is not ready for it even if another
/// entry said ready. Addresses sort by IP then target uid; ports by name, number and protocol; subsets by
/// their ports (upstream orders ports and subsets by a hash, which this does not reproduce).
/// </summary>
public static class EndpointSubsets
{
    public static JsonArray Repack(IEnumerable<JsonObject> subsets)
    {
        var addresses = new Dictionary<string, JsonObject>();
        var ports = new Dictionary<string, JsonObject?>();
        // port key -> address key -> ready
        var byPort = new Dictionary<string, Dictionary<string, bool>>();
        foreach (var ss in subsets)
        {
            var ssPorts = (ss["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var portList = ssPorts.Count == 0 ? [null] : ssPorts.Cast<JsonObject?>().ToList();
            foreach (var port in portList)
            {
                var portKey = port == null ? "" : DeploymentUtil.Utf8(DeploymentUtil.CanonicalJson(port));
                ports[portKey] = port;
                if (!byPort.TryGetValue(portKey, out var set)) byPort[portKey] = set = new();
                foreach (var (list, ready) in new[] { ("addresses", true), ("notReadyAddresses", false) })
                {
                    foreach (var addr in (ss[list] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        var key = AddressKey(addr);
                        addresses.TryAdd(key, addr);
                        // Not ready wins over ready.
                        if (!set.TryGetValue(key, out var wasReady) || wasReady) set[key] = ready;
                    }
                }
            }
        }
        // (address, ready) -> its ports, then fold by identical port sets.
        var portsOf = new Dictionary<(string Addr, bool Ready), List<string>>();
        foreach (var (portKey, set) in byPort)
            foreach (var (addr, ready) in set)
            {
                if (!portsOf.TryGetValue((addr, ready), out var list)) portsOf[(addr, ready)] = list = [];
                list.Add(portKey);
            }
        var folded = new Dictionary<string, (List<string> Ports, List<(string Addr, bool Ready)> Addrs)>();
        foreach (var (addrReady, portKeys) in portsOf)
        {
            portKeys.Sort(StringComparer.Ordinal);
            var setKey = string.Join("\n", portKeys);
            if (!folded.TryGetValue(setKey, out var group)) folded[setKey] = group = (portKeys, []);
            group.Addrs.Add(addrReady);
        }
        var result = new List<(string SortKey, JsonObject Subset)>();
        foreach (var (_, group) in folded)
        {
            var subset = new JsonObject();
            var ready = group.Addrs.Where(a => a.Ready).Select(a => addresses[a.Addr]).OrderBy(a => a, AddressOrder.Instance).ToList();
            var notReady = group.Addrs.Where(a => !a.Ready).Select(a => addresses[a.Addr]).OrderBy(a => a, AddressOrder.Instance).ToList();
            if (ready.Count > 0) subset["addresses"] = new JsonArray(ready.Select(a => (JsonNode?)a.DeepClone()).ToArray());
            if (notReady.Count > 0) subset["notReadyAddresses"] = new JsonArray(notReady.Select(a => (JsonNode?)a.DeepClone()).ToArray());
            var portObjects = group.Ports.Select(k => ports[k]).OfType<JsonObject>()
                .OrderBy(p => (string?)p["name"] ?? "", StringComparer.Ordinal).ThenBy(p => (int?)p["port"] ?? 0).ThenBy(p => (string?)p["protocol"] ?? "", StringComparer.Ordinal)
                .ToList();
            if (portObjects.Count > 0) subset["ports"] = new JsonArray(portObjects.Select(p => (JsonNode?)p.DeepClone()).ToArray());
            var sortKey = string.Join("|", portObjects.Select(p => $"{(string?)p["name"]}/{(int?)p["port"]:D5}/{(string?)p["protocol"]}"));
            result.Add((sortKey, subset));
        }
        return new JsonArray(result.OrderBy(r => r.SortKey, StringComparer.Ordinal).Select(r => (JsonNode?)r.Subset).ToArray());
    }

    private static string AddressKey(JsonObject addr) => $"{(string?)addr["ip"]}\u0000{(string?)addr["targetRef"]?["uid"]}";

    private sealed class AddressOrder : IComparer<JsonObject>
    {
        public static readonly AddressOrder Instance = new();

        public int Compare(JsonObject? x, JsonObject? y)
        {
            var c = string.CompareOrdinal((string?)x?["ip"], (string?)y?["ip"]);
            return c != 0 ? c : string.CompareOrdinal((string?)x?["targetRef"]?["uid"], (string?)y?["targetRef"]?["uid"]);
        }
    }
}
