using System.Text;
using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Node.Volumes;

namespace Anvil.Node.Env;

/// <summary>
/// A container's environment as the kubelet makes it (makeEnvironmentVariables): <c>envFrom</c> sources in order
/// (with their prefix), then <c>env</c> in order — literal values with <c>$(VAR)</c> expanded against what is defined
/// so far, or <c>valueFrom</c> fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef. Missing objects and keys
/// are <see cref="ContainerConfigException"/>s with the kubelet's text unless optional. Given the Services the node
/// knows, the Service variables (<see cref="ServiceEnv"/>) come first: <c>$(VAR)</c> can use them and the container's
/// own variables of the same name replace them.
/// </summary>
public static class EnvResolver
{
    public static async Task<List<KeyValuePair<string, string>>> ResolveAsync(JsonObject pod, JsonObject container, IPodObjectSource source,
        string hostIP, IReadOnlyList<string> podIPs, NodeAllocatable node, CancellationToken ct, IReadOnlyCollection<JsonObject>? services = null)
    {
        var ns = ObjectMeta.Namespace(pod);
        var serviceEnv = services == null ? [] : ServiceEnv.ForPod(ns, ServiceEnv.EnableServiceLinks(pod), services);
        var configMaps = new Dictionary<string, JsonObject?>(StringComparer.Ordinal);
        var secrets = new Dictionary<string, JsonObject?>(StringComparer.Ordinal);
        async Task<JsonObject?> ConfigMap(string name) =>
            configMaps.TryGetValue(name, out var c) ? c : configMaps[name] = await source.GetConfigMapAsync(ns, name, ct).ConfigureAwait(false);
        async Task<JsonObject?> Secret(string name) =>
            secrets.TryGetValue(name, out var s) ? s : secrets[name] = await source.GetSecretAsync(ns, name, ct).ConfigureAwait(false);

        var env = new OrderedEnv(serviceEnv);
        foreach (var from in (container["envFrom"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var prefix = Str(from["prefix"]);
            if (from["configMapRef"] is JsonObject cmRef)
            {
                var name = Str(cmRef["name"]);
                var cm = await ConfigMap(name).ConfigureAwait(false);
                if (cm == null)
                {
                    if (Bool(cmRef["optional"])) continue;
                    throw NotFound("configmap", name);
                }
                foreach (var (k, v) in cm["data"] as JsonObject ?? []) env.Set(prefix + k, Str(v));
            }
            else if (from["secretRef"] is JsonObject secretRef)
            {
                var name = Str(secretRef["name"]);
                var secret = await Secret(name).ConfigureAwait(false);
                if (secret == null)
                {
                    if (Bool(secretRef["optional"])) continue;
                    throw NotFound("secret", name);
                }
                foreach (var (k, v) in secret["data"] as JsonObject ?? []) env.Set(prefix + k, Decode(v));
            }
        }
        foreach (var e in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = Str(e["name"]);
            var value = Str(e["value"]);
            if (value.Length > 0)
            {
                env.Set(name, Expansion.Expand(value, env.Scope));
                continue;
            }
            if (e["valueFrom"] is not JsonObject from)
            {
                env.Set(name, "");
                continue;
            }
            if (from["fieldRef"] is JsonObject f)
            {
                value = DownwardApi.FieldValue(pod, Str(f["fieldPath"]), hostIP, podIPs, out var error) ?? throw new ContainerConfigException(error);
            }
            else if (from["resourceFieldRef"] is JsonObject r)
            {
                var target = container;
                if (Str(r["containerName"]) is { Length: > 0 } other && other != Str(container["name"]))
                    target = (pod["spec"]?["containers"] as JsonArray ?? []).Concat(pod["spec"]?["initContainers"] as JsonArray ?? [])
                        .OfType<JsonObject>().FirstOrDefault(c => Str(c["name"]) == other) ?? container;
                var divisor = r["divisor"] is JsonValue d ? d.ToString() : null;
                value = DownwardApi.ResourceValue(target, Str(r["resource"]), divisor, node, out var error) ?? throw new ContainerConfigException(error);
            }
            else if (from["configMapKeyRef"] is JsonObject cmKey)
            {
                var cmName = Str(cmKey["name"]);
                var key = Str(cmKey["key"]);
                var optional = Bool(cmKey["optional"]);
                var cm = await ConfigMap(cmName).ConfigureAwait(false);
                if (cm == null)
                {
                    if (optional) continue;
                    throw NotFound("configmap", cmName);
                }
                if (cm["data"]?[key] is not JsonValue v)
                {
                    if (optional) continue;
                    throw new ContainerConfigException($"couldn't find key {key} in ConfigMap {ns}/{cmName}");
                }
                value = Str(v);
            }
            else if (from["secretKeyRef"] is JsonObject secretKey)
            {
                var secretName = Str(secretKey["name"]);
                var key = Str(secretKey["key"]);
                var optional = Bool(secretKey["optional"]);
                var secret = await Secret(secretName).ConfigureAwait(false);
                if (secret == null)
                {
                    if (optional) continue;
                    throw NotFound("secret", secretName);
                }
                if (secret["data"]?[key] is not JsonValue v)
                {
                    if (optional) continue;
                    throw new ContainerConfigException($"couldn't find key {key} in Secret {ns}/{secretName}");
                }
                value = Decode(v);
            }
            env.Set(name, value);
        }
        return env.Pairs;
    }

    /// <summary>command and args with <c>$(VAR)</c> expanded against the container's final environment.</summary>
    public static List<string> ExpandCommand(JsonObject container, string field, IReadOnlyDictionary<string, string> env) =>
        (container[field] as JsonArray ?? []).Select(a => Expansion.Expand(a is JsonValue v && v.TryGetValue<string>(out var s) ? s : "", env)).ToList();

    private static ContainerConfigException NotFound(string kind, string name) => new($"{kind} {Anvil.Machinery.Validation.GoQuote.Quote(name)} not found");

    private static string Decode(JsonNode? n)
    {
        try { return Encoding.UTF8.GetString(Convert.FromBase64String(Str(n))); }
        catch (FormatException) { return ""; }
    }

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static bool Bool(JsonNode? n) => n is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    /// <summary>
    /// The container's variables in first-definition order (a later definition replaces the value in place) after
    /// the inherited Service variables it does not define itself.
    /// </summary>
    private sealed class OrderedEnv(IReadOnlyList<KeyValuePair<string, string>> inherited)
    {
        private readonly List<string> _order = [];
        private readonly Dictionary<string, string> _map = new(StringComparer.Ordinal);

        /// <summary>What <c>$(VAR)</c> sees: the container's variables, else the inherited ones.</summary>
        public Dictionary<string, string> Scope { get; } = inherited.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

        public void Set(string name, string value)
        {
            if (!_map.ContainsKey(name)) _order.Add(name);
            _map[name] = value;
            Scope[name] = value;
        }

        public List<KeyValuePair<string, string>> Pairs =>
        [
            .. inherited.Where(p => !_map.ContainsKey(p.Key)),
            .. _order.Select(n => new KeyValuePair<string, string>(n, _map[n])),
        ];
    }
}
