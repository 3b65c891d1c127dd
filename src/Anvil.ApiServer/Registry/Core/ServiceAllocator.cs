using System.Net;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>
/// Gives new Services a cluster IP from the service CIDR (default 10.96.0.0/12, the first address kept for
/// the kubernetes Service) and node ports from 30000-32767, as kube-apiserver's allocators do. Addresses in
/// use are read from the stored Services; ones handed out but not yet stored are held for a minute so two
/// concurrent creates never get the same address.
/// </summary>
public sealed class ServiceAllocator(uint network = 0x0A600000, int prefixLength = 12)
{
    private const int NodePortBase = 30000, NodePortCount = 2768;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, DateTimeOffset> _pending = new();

    public async Task AllocateAsync(ResourceStore store, ResourceDefinition services, JsonObject service, CancellationToken ct)
    {
        var needsIp = ServiceStrategy.NeedsClusterIp(service);
        var ports = ServiceStrategy.NodePortsToAllocate(service);
        if (!needsIp && ports.Count == 0) return;
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var stale in _pending.Where(p => now - p.Value > TimeSpan.FromMinutes(1)).Select(p => p.Key).ToList()) _pending.Remove(stale);
            var used = new HashSet<string>(_pending.Keys);
            foreach (var s in (await store.ListAsync(services, "", new ListOptions(), ct).ConfigureAwait(false)).Items)
            {
                if ((string?)s["spec"]?["clusterIP"] is { Length: > 0 } ip) used.Add(ip);
                foreach (var p in (s["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>())
                    if (p["nodePort"] is JsonValue np && np.TryGetValue<long>(out var n) && n > 0) used.Add("port:" + n);
            }
            var spec = (JsonObject)service["spec"]!;
            if (needsIp)
            {
                var ip = PickAddress(used) ?? throw StatusError.InternalError("failed to allocate a serviceIP: range is full");
                spec["clusterIP"] = ip;
                spec["clusterIPs"] = new JsonArray(ip);
                _pending[ip] = now;
            }
            var portList = (JsonArray)spec["ports"]!;
            foreach (var index in ports)
            {
                var port = PickNodePort(used) ?? throw StatusError.InternalError("failed to allocate a nodePort: range is full");
                used.Add("port:" + port);
                _pending["port:" + port] = now;
                ((JsonObject)portList[index]!)["nodePort"] = port;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

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
