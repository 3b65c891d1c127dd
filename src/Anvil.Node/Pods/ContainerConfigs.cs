using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;
using Anvil.Node.Runtime;

namespace Anvil.Node.Pods;

/// <summary>
/// A pod spec container to a runtime <see cref="ContainerConfig"/>: command/args (the busybox image has no
/// entrypoint and <c>sh</c> as its default command), env values (valueFrom is not resolved yet), workingDir,
/// runAsUser/runAsGroup, and cgroup limits the way the kubelet derives them (shares from requests.cpu,
/// quota from limits.cpu, limit from limits.memory).
/// </summary>
internal static class ContainerConfigs
{
    public static ContainerConfig From(JsonObject pod, JsonObject c, string rootfs, int attempt) => From(pod, c, rootfs, attempt, null, null);

    /// <summary>
    /// With the resolved environment (Env/EnvResolver: command and args are <c>$(VAR)</c>-expanded against it) and
    /// the volume mounts (Volumes/MountBuilder); null env: literal values only.
    /// </summary>
    public static ContainerConfig From(JsonObject pod, JsonObject c, string rootfs, int attempt,
        IReadOnlyList<KeyValuePair<string, string>>? resolvedEnv, IReadOnlyList<ContainerMount>? mounts)
    {
        var args = new List<string>();
        var envMap = resolvedEnv?.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        foreach (var field in new[] { "command", "args" })
            if (envMap != null) args.AddRange(Anvil.Node.Env.EnvResolver.ExpandCommand(c, field, envMap));
            else foreach (var a in (c[field] as JsonArray ?? [])) args.Add((string?)a ?? "");
        if (args.Count == 0) args.Add("sh");
        var env = new List<string>();
        if (resolvedEnv != null) env.AddRange(resolvedEnv.Select(p => p.Key + "=" + p.Value));
        else
            foreach (var e in (c["env"] as JsonArray ?? []).OfType<JsonObject>())
                if (e["value"] is JsonValue v) env.Add($"{(string?)e["name"]}={(string?)v}");
                else if (e["valueFrom"] == null) env.Add($"{(string?)e["name"]}=");
        env.Add("HOSTNAME=" + ObjectMeta.Name(pod));
        var uid = Long(c["securityContext"]?["runAsUser"]) ?? Long(pod["spec"]?["securityContext"]?["runAsUser"]) ?? 0;
        var gid = Long(c["securityContext"]?["runAsGroup"]) ?? Long(pod["spec"]?["securityContext"]?["runAsGroup"]) ?? 0;
        return new ContainerConfig(ObjectMeta.Uid(pod), ObjectMeta.Namespace(pod), ObjectMeta.Name(pod), (string?)c["name"] ?? "", attempt,
            (string?)c["image"] ?? "", rootfs, args, env, (string?)c["workingDir"] is { Length: > 0 } wd ? wd : "/", (uint)uid, (uint)gid,
            ObjectMeta.Name(pod), Resources(c["resources"] as JsonObject), mounts, SupplementalGroups(pod));
    }

    /// <summary>The pod's supplementalGroups and fsGroup, which every container process also has.</summary>
    private static List<uint> SupplementalGroups(JsonObject pod)
    {
        var sc = pod["spec"]?["securityContext"];
        var groups = (sc?["supplementalGroups"] as JsonArray ?? []).Select(Long).OfType<long>().Select(g => (uint)g).ToList();
        if (Long(sc?["fsGroup"]) is { } fs && !groups.Contains((uint)fs)) groups.Add((uint)fs);
        return groups;
    }

    private static long? Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    private static decimal? Quantity(JsonNode? n) =>
        QuantityValidation.TryParse(QuantityValidation.Text(n), out var value, out _) ? value : null;

    public static ContainerResources Resources(JsonObject? r)
    {
        var limitCpu = Quantity(r?["limits"]?["cpu"]);
        var requestCpu = Quantity(r?["requests"]?["cpu"]) ?? limitCpu;
        var memory = Quantity(r?["limits"]?["memory"]);
        // MilliCPUToShares: 1 CPU = 1024 shares, at least 2; quota per 100 ms period, at least 1 ms.
        var shares = requestCpu is { } rc ? Math.Max(2, (long)(rc * 1024)) : 2;
        var quota = limitCpu is { } lc ? Math.Max(1000, (long)(lc * 100_000)) : 0;
        return new ContainerResources(shares, quota, 100_000, memory is { } m ? (long)m : 0, 0);
    }
}
