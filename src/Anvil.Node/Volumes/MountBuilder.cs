using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using Anvil.Node.Env;
using Anvil.Node.Runtime;

namespace Anvil.Node.Volumes;

/// <summary>
/// A container's <c>volumeMounts</c> as bind mounts (the kubelet's makeMounts): the volume's host path, or a subPath
/// (or subPathExpr expanded with the container's env) inside it, created when missing and refused when it resolves
/// outside the volume through symlinks. API-data volumes are always read-only.
/// </summary>
public static class MountBuilder
{
    public static List<ContainerMount> For(JsonObject container, PodVolumes volumes, IReadOnlyDictionary<string, string> env)
    {
        var containerName = Str(container["name"]);
        var mounts = new List<ContainerMount>();
        foreach (var m in (container["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = Str(m["name"]);
            if (!volumes.Paths.TryGetValue(name, out var source))
                throw new ContainerConfigException($"cannot find volume {GoQuote.Quote(name)} to mount into container {GoQuote.Quote(containerName)}");
            var subPath = Str(m["subPath"]);
            if (m["subPathExpr"] is JsonValue) subPath = Expansion.Expand(Str(m["subPathExpr"]), env);
            if (subPath.Length > 0)
            {
                if (subPath.StartsWith('/')) throw new ContainerConfigException($"error SubPath `{subPath}` must not be an absolute path");
                if (subPath.Split('/').Contains("..")) throw new ContainerConfigException($"unable to provision SubPath `{subPath}`: must not contain '..'");
                source = PrepareSubPath(source, subPath, name, containerName);
            }
            var readOnly = volumes.ReadOnly.Contains(name) || m["readOnly"] is JsonValue r && r.TryGetValue<bool>(out var ro) && ro;
            mounts.Add(new ContainerMount(source, Str(m["mountPath"]), readOnly));
        }
        return mounts;
    }

    /// <summary>The subPath's real location, which must stay inside the volume; a missing one is created as a directory.</summary>
    public static string PrepareSubPath(string volumePath, string subPath, string volumeName, string containerName)
    {
        var root = Resolve(volumePath);
        var target = Path.Combine(volumePath, subPath);
        if (!Path.Exists(target) && new FileInfo(target).LinkTarget == null)
        {
            // SafeMakeDir: only below the volume, never through a link that leaves it.
            var existing = Path.GetDirectoryName(target)!;
            while (!Path.Exists(existing)) existing = Path.GetDirectoryName(existing)!;
            if (!Inside(root, Resolve(existing)))
                throw new ContainerConfigException($"failed to create subPath directory for volumeMount {GoQuote.Quote(volumeName)} of container {GoQuote.Quote(containerName)}");
            Directory.CreateDirectory(target);
        }
        var real = Resolve(target);
        if (!Inside(root, real))
            throw new ContainerConfigException($"failed to prepare subPath for volumeMount {GoQuote.Quote(volumeName)} of container {GoQuote.Quote(containerName)}");
        return real;
    }

    private static bool Inside(string root, string path) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>realpath(3): every symlink component resolved (bounded, as the kernel's 40 hops).</summary>
    public static string Resolve(string path)
    {
        var parts = new Queue<string>(Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries));
        var current = "/";
        for (var hops = 0; parts.Count > 0;)
        {
            var part = parts.Dequeue();
            if (part == ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }
            var next = Path.Combine(current, part);
            var link = new FileInfo(next).LinkTarget;
            if (link == null)
            {
                current = next;
                continue;
            }
            if (++hops > 40) throw new ContainerConfigException($"too many levels of symbolic links: {path}");
            var rest = parts.ToList();
            var resolved = Path.IsPathRooted(link) ? link : Path.Combine(current, link);
            parts = new Queue<string>(resolved.Split('/', StringSplitOptions.RemoveEmptyEntries).Concat(rest));
            current = "/";
        }
        return current;
    }

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
