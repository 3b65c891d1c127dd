using System.Text;
using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;

namespace Anvil.Node.Volumes;

/// <summary>
/// The files of configMap, secret, downwardAPI and projected volumes (pkg/volume/{configmap,secret,downwardapi,projected}):
/// every key, or the listed items (key → path, with their own mode), with the volume's defaultMode (0644 unless set).
/// A missing object fails the volume unless it is optional; a listed key that is missing fails it unless optional.
/// </summary>
public static class Payloads
{
    public const int DefaultMode = 420; // 0644

    public static Dictionary<string, FileProjection> ConfigMap(JsonObject? configMap, JsonObject source, int? defaultMode = null)
    {
        var name = Str(source["name"]);
        var optional = Bool(source["optional"]);
        var mode = Int(source["defaultMode"]) ?? defaultMode ?? DefaultMode;
        if (configMap == null)
        {
            if (optional) return [];
            throw new VolumeSetupException($"configmap {Quote(name)} not found");
        }
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (k, v) in configMap["data"] as JsonObject ?? []) data[k] = Encoding.UTF8.GetBytes(Str(v));
        foreach (var (k, v) in configMap["binaryData"] as JsonObject ?? []) data[k] = Convert.FromBase64String(Str(v));
        return Project(data, source["items"] as JsonArray, mode, optional, k => $"configmap references non-existent config key: {k}");
    }

    public static Dictionary<string, FileProjection> Secret(JsonObject? secret, JsonObject source, string nameField = "secretName", int? defaultMode = null)
    {
        var name = Str(source[nameField]);
        var optional = Bool(source["optional"]);
        var mode = Int(source["defaultMode"]) ?? defaultMode ?? DefaultMode;
        if (secret == null)
        {
            if (optional) return [];
            throw new VolumeSetupException($"secret {Quote(name)} not found");
        }
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (k, v) in secret["data"] as JsonObject ?? []) data[k] = Convert.FromBase64String(Str(v));
        return Project(data, source["items"] as JsonArray, mode, optional, k => $"references non-existent secret key: {k}");
    }

    private static Dictionary<string, FileProjection> Project(Dictionary<string, byte[]> data, JsonArray? items, int mode, bool optional, Func<string, string> missing)
    {
        var files = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        if (items is not { Count: > 0 })
        {
            foreach (var (k, v) in data) files[k] = new FileProjection(v, mode);
            return files;
        }
        foreach (var item in items.OfType<JsonObject>())
        {
            var key = Str(item["key"]);
            if (!data.TryGetValue(key, out var bytes))
            {
                if (optional) continue;
                throw new VolumeSetupException(missing(key));
            }
            files[Str(item["path"])] = new FileProjection(bytes, Int(item["mode"]) ?? mode);
        }
        return files;
    }

    /// <summary>downwardAPI items: fieldRef of the pod or resourceFieldRef of a named container.</summary>
    public static Dictionary<string, FileProjection> DownwardApi(JsonObject pod, JsonObject source, string hostIP, IReadOnlyList<string> podIPs,
        NodeAllocatable node, int? defaultMode = null)
    {
        var mode = Int(source["defaultMode"]) ?? defaultMode ?? DefaultMode;
        var files = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var item in (source["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            string? value = null;
            var error = "";
            if (item["fieldRef"] is JsonObject f)
            {
                value = Volumes.DownwardApi.FieldValue(pod, Str(f["fieldPath"]), hostIP, podIPs, out error);
            }
            else if (item["resourceFieldRef"] is JsonObject r)
            {
                var containerName = Str(r["containerName"]);
                var container = (pod["spec"]?["containers"] as JsonArray ?? []).Concat(pod["spec"]?["initContainers"] as JsonArray ?? [])
                    .OfType<JsonObject>().FirstOrDefault(c => Str(c["name"]) == containerName);
                if (container == null) error = $"container {containerName} not found";
                else value = Volumes.DownwardApi.ResourceValue(container, Str(r["resource"]), QuantityText(r["divisor"]), node, out error);
            }
            if (value == null)
            {
                errors.Add(error);
                continue;
            }
            files[Str(item["path"])] = new FileProjection(Encoding.UTF8.GetBytes(value), Int(item["mode"]) ?? mode);
        }
        if (errors.Count > 0) throw new VolumeSetupException(errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]");
        return files;
    }

    /// <summary>
    /// A projected volume: its sources merged in order. Objects come from <paramref name="getConfigMap"/> and
    /// <paramref name="getSecret"/>; the token from <paramref name="getToken"/> (audience, expirationSeconds).
    /// Errors of all sources are reported together, as upstream aggregates them.
    /// </summary>
    public static async Task<Dictionary<string, FileProjection>> ProjectedAsync(JsonObject pod, JsonObject source,
        Func<string, Task<JsonObject?>> getConfigMap, Func<string, Task<JsonObject?>> getSecret, Func<string, long, Task<string>> getToken,
        string hostIP, IReadOnlyList<string> podIPs, NodeAllocatable node)
    {
        var mode = Int(source["defaultMode"]) ?? DefaultMode;
        var files = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        var errors = new List<string>();
        foreach (var s in (source["sources"] as JsonArray ?? []).OfType<JsonObject>())
        {
            try
            {
                Dictionary<string, FileProjection> part;
                if (s["configMap"] is JsonObject cm) part = ConfigMap(await getConfigMap(Str(cm["name"])).ConfigureAwait(false), cm, mode);
                else if (s["secret"] is JsonObject sec) part = Secret(await getSecret(Str(sec["name"])).ConfigureAwait(false), sec, "name", mode);
                else if (s["downwardAPI"] is JsonObject d) part = DownwardApi(pod, d, hostIP, podIPs, node, mode);
                else if (s["serviceAccountToken"] is JsonObject t)
                {
                    var token = await getToken(Str(t["audience"]), Long(t["expirationSeconds"]) ?? 3600).ConfigureAwait(false);
                    part = new() { [Str(t["path"])] = new FileProjection(Encoding.UTF8.GetBytes(token), mode) };
                }
                else continue;
                foreach (var (k, v) in part) files[k] = v;
            }
            catch (VolumeSetupException e)
            {
                errors.Add(e.Message);
            }
        }
        if (errors.Count > 0) throw new VolumeSetupException(errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]");
        return files;
    }

    private static string Quote(string s) => Anvil.Machinery.Validation.GoQuote.Quote(s);

    private static string? QuantityText(JsonNode? n) => n is JsonValue v ? v.ToString() : null;

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static bool Bool(JsonNode? n) => n is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static int? Int(JsonNode? n) => n is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;

    private static long? Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var i) ? i : null;

    internal static string PodKey(JsonObject pod) => ObjectMeta.Namespace(pod) + "/" + ObjectMeta.Name(pod);
}
