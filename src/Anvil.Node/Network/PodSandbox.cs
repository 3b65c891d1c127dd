using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Node.Network;

/// <summary>
/// What the node records about a pod's sandbox in <c>&lt;data-dir&gt;/sandboxes/&lt;uid&gt;/sandbox.json</c>, so a
/// restarted agent adopts the same network namespace and address: the netns (empty for host-network pods),
/// the pod IP and the CNI result (handed back to CNI DEL as prevResult).
/// </summary>
public sealed record PodSandbox(string PodUid, string Namespace, string Name, string Hostname, bool HostNetwork, string Netns, string IP, string Dir)
{
    public const string FileName = "sandbox.json";

    public string NetnsPath => Netns.Length == 0 ? "" : "/run/netns/" + Netns;
    public string HostsPath => Path.Combine(Dir, "hosts");
    public string ResolvConfPath => Path.Combine(Dir, "resolv.conf");
    public string HostnamePath => Path.Combine(Dir, "hostname");
    public string? Result { get; init; }

    /// <summary>Traffic leaving the pod CIDR is masqueraded by the node's rule; false in records made before it (CNI's chain per pod).</summary>
    public bool NodeMasquerade { get; init; }

    public JsonObject? ResultJson => Result is { Length: > 0 } r ? JsonNode.Parse(r) as JsonObject : null;

    public void Write()
    {
        Directory.CreateDirectory(Dir);
        var tmp = Path.Combine(Dir, FileName + ".tmp");
        File.WriteAllText(tmp, JsonSerializer.Serialize(this));
        File.Move(tmp, Path.Combine(Dir, FileName), true);
    }

    public static PodSandbox? Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        // No exception for the usual absence (new pods, removed ones).
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<PodSandbox>(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
