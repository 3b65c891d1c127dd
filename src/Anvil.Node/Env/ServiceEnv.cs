using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;

namespace Anvil.Node.Env;

/// <summary>
/// The Service variables the kubelet gives every container (getServiceEnvVarMap + envvars.FromServices): the
/// <c>kubernetes</c> Service of <c>default</c> always, and with <c>spec.enableServiceLinks</c> (default true) every
/// Service of the pod's namespace; only Services whose clusterIP is set and not <c>None</c>. A namespace Service
/// named like the master service replaces it. Per Service: <c>&lt;NAME&gt;_SERVICE_HOST</c>, <c>_SERVICE_PORT</c> (first
/// port), <c>_SERVICE_PORT_&lt;PORTNAME&gt;</c> per named port, then the Docker link variables <c>&lt;NAME&gt;_PORT</c> and
/// <c>&lt;NAME&gt;_PORT_&lt;port&gt;_&lt;PROTO&gt;</c> (with <c>_PROTO</c>, <c>_PORT</c>, <c>_ADDR</c>) per port. The kubelet's order is a
/// Go map's; ours is by Service name, each Service's variables in FromServices order.
/// </summary>
public static class ServiceEnv
{
    /// <summary>Services of <c>default</c> visible to pods of every namespace (the kubelet's masterServices).</summary>
    public static readonly IReadOnlySet<string> MasterServices = new HashSet<string>(StringComparer.Ordinal) { "kubernetes" };

    /// <summary>The variables for a pod of <paramref name="ns"/> from all Services the node knows.</summary>
    public static List<KeyValuePair<string, string>> ForPod(string ns, bool enableServiceLinks, IEnumerable<JsonObject> services)
    {
        var visible = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            if (!IsServiceIPSet(service)) continue;
            var name = ObjectMeta.Name(service);
            var serviceNs = ObjectMeta.Namespace(service);
            if (serviceNs == "default" && MasterServices.Contains(name)) visible.TryAdd(name, service);
            else if (serviceNs == ns && enableServiceLinks) visible[name] = service;
        }
        // The kubelet collects them in a map: should two Services make the same name, the later value wins.
        var result = new List<KeyValuePair<string, string>>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, value) in FromServices(visible.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => v.Value)))
        {
            if (index.TryGetValue(name, out var i)) result[i] = new(name, value);
            else
            {
                index[name] = result.Count;
                result.Add(new(name, value));
            }
        }
        return result;
    }

    /// <summary>Whether the pod asks for its namespace's Services (spec.enableServiceLinks, true when unset).</summary>
    public static bool EnableServiceLinks(JsonObject pod) =>
        JsonRead.Bool(pod["spec"]?["enableServiceLinks"]) != false;

    public static List<KeyValuePair<string, string>> FromServices(IEnumerable<JsonObject> services)
    {
        var result = new List<KeyValuePair<string, string>>();
        void Add(string name, string value) => result.Add(new(name, value));
        foreach (var service in services)
        {
            if (!IsServiceIPSet(service)) continue;
            var ports = (service["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            // Validation gives every Service with a cluster IP a port; without one there is nothing to link.
            if (ports.Count == 0) continue;
            var ip = Str(service["spec"]?["clusterIP"]);
            var prefix = VariableName(ObjectMeta.Name(service));
            Add(prefix + "_SERVICE_HOST", ip);
            Add(prefix + "_SERVICE_PORT", Port(ports[0]));
            foreach (var p in ports)
                if (Str(p["name"]) is { Length: > 0 } portName) Add(prefix + "_SERVICE_PORT_" + VariableName(portName), Port(p));
            for (var i = 0; i < ports.Count; i++)
            {
                var port = Port(ports[i]);
                var protocol = Str(ports[i]["protocol"]) is { Length: > 0 } proto ? proto : "TCP";
                var lower = protocol.ToLowerInvariant();
                var url = $"{lower}://{JoinHostPort(ip, port)}";
                // Docker special-cases the first port.
                if (i == 0) Add(prefix + "_PORT", url);
                var portPrefix = $"{prefix}_PORT_{port}_{protocol.ToUpperInvariant()}";
                Add(portPrefix, url);
                Add(portPrefix + "_PROTO", lower);
                Add(portPrefix + "_PORT", port);
                Add(portPrefix + "_ADDR", ip);
            }
        }
        return result;
    }

    /// <summary>v1helper.IsServiceIPSet: a clusterIP that is neither empty nor "None".</summary>
    public static bool IsServiceIPSet(JsonObject service) => Str(service["spec"]?["clusterIP"]) is { Length: > 0 } ip && ip != "None";

    private static string VariableName(string s) => s.Replace('-', '_').ToUpperInvariant();

    private static string Port(JsonObject p) =>
        p["port"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.ToJsonString() : "0";

    // net.JoinHostPort: IPv6 addresses in brackets.
    private static string JoinHostPort(string host, string port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
