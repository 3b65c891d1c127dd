using System.Net;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>
/// Gives Services a cluster IP from the service CIDR (default 10.96.0.0/12, the first address kept for the
/// kubernetes Service) and node ports from 30000-32767, as kube-apiserver's allocators do: on create, and on an
/// update that makes a Service NodePort/LoadBalancer or adds ports. A requested node port must be in the range and
/// free. Addresses and ports in use are read from the stored Services; ones handed out but not yet stored are held
/// for a minute so two concurrent writes never get the same one. Dry runs allocate without holding.
/// </summary>
public sealed class ServiceAllocator(uint network = 0x0A600000, int prefixLength = 12)
{
    public const int NodePortBase = 30000, NodePortCount = 2768;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, DateTimeOffset> _pending = new();

    /// <summary>Allocates for <paramref name="service"/> (<paramref name="old"/>: the stored Service on update, else null).</summary>
    public async Task AllocateAsync(ResourceStore store, ResourceDefinition services, JsonObject service, JsonObject? old, bool dryRun, CancellationToken ct)
    {
        // On update only a Service that was ExternalName gets a cluster IP (others keep theirs).
        var needsIp = ServiceStrategy.NeedsClusterIp(service) && (old == null || (string?)old["spec"]?["type"] == "ExternalName");
        var type = (string?)service["spec"]?["type"];
        var nodePorts = type is "NodePort" or "LoadBalancer" && service["spec"]?["ports"] is JsonArray { Count: > 0 };
        if (!needsIp && !nodePorts) return;
        // An update that keeps the node ports it had (most of them) needs no look at the others.
        if (!needsIp && old != null && (string?)old["spec"]?["type"] == type && SameNodePorts(service, old)) return;
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var stale in _pending.Where(p => now - p.Value > TimeSpan.FromMinutes(1)).Select(p => p.Key).ToList()) _pending.Remove(stale);
            var used = new HashSet<string>(_pending.Keys);
            var self = (ObjectMeta.Namespace(service), ObjectMeta.Name(service));
            foreach (var s in (await store.ListAsync(services, "", new ListOptions(), ct).ConfigureAwait(false)).Items)
            {
                // On update the Service's own addresses and ports are its to keep.
                if (old != null && (ObjectMeta.Namespace(s), ObjectMeta.Name(s)) == self) continue;
                if ((string?)s["spec"]?["clusterIP"] is { Length: > 0 } ip) used.Add(ip);
                foreach (var p in (s["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>())
                    if (NodePortOf(p) is > 0 and var n) used.Add("port:" + n);
            }
            var taken = new List<string>();
            var spec = (JsonObject)service["spec"]!;
            if (needsIp)
            {
                var ip = PickAddress(used) ?? throw StatusError.InternalError("failed to allocate a serviceIP: range is full");
                spec["clusterIP"] = ip;
                spec["clusterIPs"] = new JsonArray(ip);
                taken.Add(ip);
            }
            if (nodePorts)
            {
                var ports = ((JsonArray)spec["ports"]!).OfType<JsonObject>().ToList();
                var allocate = type == "NodePort" || (bool?)spec["allocateLoadBalancerNodePorts"] != false;
                var kept = old == null ? null : ((old["spec"]?["ports"] as JsonArray) ?? []).OfType<JsonObject>().Select(NodePortOf).Where(n => n > 0).ToHashSet();
                taken.AddRange(AssignNodePorts(ObjectMeta.Name(service), ports, allocate, kept, used));
            }
            if (!dryRun) foreach (var t in taken) _pending[t] = now;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Fills and checks spec.ports[].nodePort. On create (<paramref name="kept"/> null) ports with the same port number
    /// (TCP and UDP 53) share one node port; on update the ports the Service had need no check. Returns the keys taken.
    /// </summary>
    private static List<string> AssignNodePorts(string name, List<JsonObject> ports, bool allocate, HashSet<long>? kept, HashSet<string> used)
    {
        var taken = new List<string>();
        void Take(int index, long port)
        {
            string? why = port is < NodePortBase or >= NodePortBase + NodePortCount
                ? $"provided port is not in the valid range. The range of valid ports is {NodePortBase}-{NodePortBase + NodePortCount - 1}"
                : used.Contains("port:" + port) ? "provided port is already allocated" : null;
            if (why != null)
                throw StatusError.Invalid(new GroupVersionKind("", "v1", "Service"), name, [FieldError.Invalid($"spec.ports[{index}].nodePort", port, why)]);
            used.Add("port:" + port);
            taken.Add("port:" + port);
        }
        long Next()
        {
            var next = PickNodePort(used) ?? throw StatusError.InternalError("failed to allocate a nodePort: range is full");
            used.Add("port:" + next);
            taken.Add("port:" + next);
            return next;
        }
        var byServicePort = new Dictionary<long, long>();
        for (var i = 0; i < ports.Count; i++)
        {
            var p = ports[i];
            var requested = NodePortOf(p);
            if (requested == 0 && !allocate) continue;
            if (kept != null)
            {
                if (requested == 0) p["nodePort"] = Next();
                else if (!kept.Contains(requested) && !taken.Contains("port:" + requested)) Take(i, requested);
                continue;
            }
            var servicePort = PortOf(p);
            if (byServicePort.TryGetValue(servicePort, out var shared))
            {
                if (requested == 0) p["nodePort"] = shared;
                else if (requested != shared) Take(i, requested);
                continue;
            }
            // A port with the same number may ask for the node port this one shares.
            var np = ports.Select(NodePortOf).Where((n, j) => n != 0 && PortOf(ports[j]) == servicePort).FirstOrDefault();
            if (np != 0) Take(i, np);
            else np = Next();
            p["nodePort"] = np;
            byServicePort[servicePort] = np;
        }
        return taken;
    }

    private static long PortOf(JsonObject port) => port["port"] is JsonValue v
        ? v.TryGetValue<long>(out var n) ? n : v.TryGetValue<int>(out var i) ? i : 0
        : 0;

    private static bool SameNodePorts(JsonObject service, JsonObject old)
    {
        var had = ((old["spec"]?["ports"] as JsonArray) ?? []).OfType<JsonObject>().Select(NodePortOf).ToHashSet();
        return ((JsonArray)service["spec"]!["ports"]!).OfType<JsonObject>().All(p => NodePortOf(p) is var n && n != 0 && had.Contains(n));
    }

    // Values set in code are int- or long-backed; TryGetValue does not convert between them.
    private static long NodePortOf(JsonObject port) => port["nodePort"] is JsonValue v
        ? v.TryGetValue<long>(out var n) ? n : v.TryGetValue<int>(out var i) ? i : 0
        : 0;

    private string? PickAddress(HashSet<string> used)
    {
        var size = 1u << (32 - prefixLength);
        // Skip the network address, the first host (the kubernetes Service) and the broadcast address.
        var start = (uint)Random.Shared.NextInt64(2, size - 1);
        for (uint i = 0; i < size - 3; i++)
        {
            var offset = 2 + (start - 2 + i) % (size - 3);
            var bytes = BitConverter.GetBytes(network + offset);
            if (BitConverter.IsLittleEndian) Array.Reverse(bytes);
            var ip = new IPAddress(bytes).ToString();
            if (!used.Contains(ip)) return ip;
        }
        return null;
    }

    private static long? PickNodePort(HashSet<string> used)
    {
        var start = Random.Shared.Next(NodePortCount);
        for (var i = 0; i < NodePortCount; i++)
        {
            var port = NodePortBase + (start + i) % NodePortCount;
            if (!used.Contains("port:" + port)) return port;
        }
        return null;
    }
}
