using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Authorization;

/// <summary>
/// The objects a pod spec names (the edges the Node authorizer's graph draws from a pod): secrets, config maps,
/// persistent volume claims and the service account, from volumes (also projected sources and ephemeral claims),
/// env, envFrom and imagePullSecrets of every kind of container.
/// </summary>
public static class PodReferences
{
    public static IEnumerable<string> Secrets(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject;
        foreach (var p in Array(spec?["imagePullSecrets"])) yield return Str(p["name"]);
        foreach (var v in Array(spec?["volumes"]))
        {
            if (v["secret"] is JsonObject s) yield return Str(s["secretName"]);
            foreach (var src in Array(v["projected"]?["sources"]))
                if (src["secret"] is JsonObject ps) yield return Str(ps["name"]);
            // Plugins that take credentials (csi, cephfs, rbd, iscsi, flexVolume, ...) name them as secretRef.
            foreach (var (_, plugin) in v)
                if (plugin is JsonObject o && o["secretRef"] is JsonObject sr) yield return Str(sr["name"]);
        }
        foreach (var c in Containers(spec))
        {
            foreach (var e in Array(c["env"])) if (e["valueFrom"]?["secretKeyRef"] is JsonObject r) yield return Str(r["name"]);
            foreach (var e in Array(c["envFrom"])) if (e["secretRef"] is JsonObject r) yield return Str(r["name"]);
        }
    }

    public static IEnumerable<string> ConfigMaps(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject;
        foreach (var v in Array(spec?["volumes"]))
        {
            if (v["configMap"] is JsonObject s) yield return Str(s["name"]);
            foreach (var src in Array(v["projected"]?["sources"]))
                if (src["configMap"] is JsonObject ps) yield return Str(ps["name"]);
        }
        foreach (var c in Containers(spec))
        {
            foreach (var e in Array(c["env"])) if (e["valueFrom"]?["configMapKeyRef"] is JsonObject r) yield return Str(r["name"]);
            foreach (var e in Array(c["envFrom"])) if (e["configMapRef"] is JsonObject r) yield return Str(r["name"]);
        }
    }

    public static IEnumerable<string> PersistentVolumeClaims(JsonObject pod)
    {
        var podName = Str(pod["metadata"]?["name"]);
        foreach (var v in Array(pod["spec"]?["volumes"]))
        {
            if (v["persistentVolumeClaim"] is JsonObject c) yield return Str(c["claimName"]);
            // Generic ephemeral volumes: the claim is named <pod>-<volume>.
            if (v["ephemeral"] is JsonObject) yield return podName + "-" + Str(v["name"]);
        }
    }

    public static string ServiceAccount(JsonObject pod) => Str(pod["spec"]?["serviceAccountName"]) is { Length: > 0 } sa ? sa : "default";

    private static IEnumerable<JsonObject> Containers(JsonObject? spec) =>
        Array(spec?["initContainers"]).Concat(Array(spec?["containers"])).Concat(Array(spec?["ephemeralContainers"]));

    private static IEnumerable<JsonObject> Array(JsonNode? n) => (n as JsonArray ?? []).OfType<JsonObject>();

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
