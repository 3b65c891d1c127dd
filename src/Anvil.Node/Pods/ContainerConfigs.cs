using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;
using Anvil.Node.Images;
using Anvil.Node.Runtime;

namespace Anvil.Node.Pods;

/// <summary>
/// A pod spec container to a runtime <see cref="ContainerConfig"/>: command/args merged with the image's
/// ENTRYPOINT/CMD, the image's env then the container's (valueFrom is not resolved yet), workingDir and
/// runAsUser/runAsGroup falling back to the image's WorkingDir and USER, and cgroup limits the way the kubelet derives them (shares from requests.cpu,
/// quota from limits.cpu, limit from limits.memory).
/// </summary>
internal static class ContainerConfigs
{
    public static ContainerConfig From(JsonObject pod, JsonObject c, string rootfs, int attempt, ImageConfig? image = null) =>
        From(pod, c, rootfs, attempt, image, null, null);

    /// <summary>
    /// With the image's config (ENTRYPOINT/CMD, env, workingDir, USER), the resolved environment (Env/EnvResolver:
    /// command and args are <c>$(VAR)</c>-expanded against it; null: literal values only) and the volume mounts
    /// (Volumes/MountBuilder).
    /// </summary>
    public static ContainerConfig From(JsonObject pod, JsonObject c, string rootfs, int attempt, ImageConfig? image,
        IReadOnlyList<KeyValuePair<string, string>>? resolvedEnv, IReadOnlyList<ContainerMount>? mounts)
    {
        var envMap = resolvedEnv?.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        List<string> Field(string field) => envMap != null ? [.. Anvil.Node.Env.EnvResolver.ExpandCommand(c, field, envMap)] : Strings(c[field]);
        var args = Command(Field("command"), Field("args"), image);
        if (args.Count == 0)
        {
            if (image != null) throw new IOException("no command specified");
            args.Add("sh");
        }
        var containerEnv = new List<string>();
        if (resolvedEnv != null) containerEnv.AddRange(resolvedEnv.Select(p => p.Key + "=" + p.Value));
        else
            foreach (var e in (c["env"] as JsonArray ?? []).OfType<JsonObject>())
                if (e["value"] is JsonValue v) containerEnv.Add($"{(string?)e["name"]}={(string?)v}");
                else if (e["valueFrom"] == null) containerEnv.Add($"{(string?)e["name"]}=");
        var env = MergeEnv(image?.Env ?? [], containerEnv);
        env.Add("HOSTNAME=" + ObjectMeta.Name(pod));
        var (imageUid, imageGid) = image is { User.Length: > 0 } ? ImageUser(image.User, rootfs) : (0, 0);
        var uid = Long(c["securityContext"]?["runAsUser"]) ?? Long(pod["spec"]?["securityContext"]?["runAsUser"]) ?? imageUid;
        var gid = Long(c["securityContext"]?["runAsGroup"]) ?? Long(pod["spec"]?["securityContext"]?["runAsGroup"]) ?? imageGid;
        var workingDir = (string?)c["workingDir"] is { Length: > 0 } wd ? wd : image is { WorkingDir.Length: > 0 } ? image.WorkingDir : "/";
        return new ContainerConfig(ObjectMeta.Uid(pod), ObjectMeta.Namespace(pod), ObjectMeta.Name(pod), (string?)c["name"] ?? "", attempt,
            (string?)c["image"] ?? "", rootfs, args, env, workingDir, (uint)uid, (uint)gid,
            ObjectMeta.Name(pod), Resources(c["resources"] as JsonObject), mounts, SupplementalGroups(pod), ContainerStdio.From(c),
            ReadOnlyRootfs: JsonRead.Bool(c["securityContext"]?["readOnlyRootFilesystem"]) == true);
    }

    /// <summary>The pod's supplementalGroups and fsGroup, which every container process also has.</summary>
    private static List<uint> SupplementalGroups(JsonObject pod)
    {
        var sc = pod["spec"]?["securityContext"];
        var groups = (sc?["supplementalGroups"] as JsonArray ?? []).Select(Long).OfType<long>().Select(g => (uint)g).ToList();
        if (Long(sc?["fsGroup"]) is { } fs && !groups.Contains((uint)fs)) groups.Add((uint)fs);
        return groups;
    }

    private static List<string> Strings(JsonNode? n) => (n as JsonArray ?? []).Select(a => (string?)a ?? "").ToList();

    /// <summary>
    /// Docker/Kubernetes semantics: command replaces ENTRYPOINT (and drops CMD), args replace CMD; with neither the
    /// image's ENTRYPOINT + CMD run.
    /// </summary>
    public static List<string> Command(IReadOnlyList<string> command, IReadOnlyList<string> args, ImageConfig? image)
    {
        if (command.Count > 0) return [.. command, .. args];
        var entrypoint = image?.Entrypoint ?? [];
        return args.Count > 0 ? [.. entrypoint, .. args] : [.. entrypoint, .. image?.Cmd ?? []];
    }

    /// <summary>The image's variables first; a container variable of the same name replaces the image's value in place.</summary>
    public static List<string> MergeEnv(IReadOnlyList<string> imageEnv, IReadOnlyList<string> containerEnv)
    {
        var result = new List<string>(imageEnv);
        foreach (var e in containerEnv)
        {
            var name = e.Split('=', 2)[0];
            var i = result.FindIndex(x => x.Split('=', 2)[0] == name);
            if (i >= 0) result[i] = e;
            else result.Add(e);
        }
        return result;
    }

    /// <summary>The image's USER ("uid", "uid:gid", "name" or "name:group", names from the rootfs' /etc/passwd and /etc/group).</summary>
    public static (long Uid, long Gid) ImageUser(string user, string rootfs)
    {
        var parts = user.Split(':', 2);
        long uid = 0, gid = 0;
        string[] passwd = ReadLines(Path.Combine(rootfs, "etc/passwd"));
        if (long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)) uid = n;
        else if (passwd.Select(l => l.Split(':')).FirstOrDefault(f => f.Length > 3 && f[0] == parts[0]) is { } entry)
        {
            long.TryParse(entry[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out uid);
            long.TryParse(entry[3], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out gid);
        }
        else throw new IOException($"unable to find user {parts[0]}: no matching entries in passwd file");
        if (parts.Length == 2)
        {
            if (long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var g)) gid = g;
            else if (ReadLines(Path.Combine(rootfs, "etc/group")).Select(l => l.Split(':')).FirstOrDefault(f => f.Length > 2 && f[0] == parts[1]) is { } group)
                long.TryParse(group[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out gid);
            else throw new IOException($"unable to find group {parts[1]}: no matching entries in group file");
        }
        return (uid, gid);
    }

    private static string[] ReadLines(string path)
    {
        try { return File.ReadAllLines(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
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
