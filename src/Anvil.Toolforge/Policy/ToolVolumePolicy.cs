using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Validation;

namespace Anvil.Toolforge.Policy;

/// <summary>
/// Toolforge's volume-admission: a new pod in a tool namespace gets the tool's home, the hostPath
/// <c>&lt;Homes&gt;/&lt;tool&gt;</c> (volume <c>home</c>), mounted at <c>/data/project/&lt;tool&gt;</c> in every container, with
/// <c>HOME</c> (unless <c>HOME</c> or <c>NO_HOME</c> is set; <c>NO_HOME</c> also drops <c>workingDir</c>) and
/// <c>TOOL_DATA_DIR</c> pointing there. The label <c>toolforge.org/mount-storage: none</c> opts out. Toolforge
/// mounts all of <c>/data/project</c>, every tool's home; only the tool's own home is mounted here, so one tool
/// cannot read another's files through a world-readable mode. No other hostPath volume is allowed.
/// </summary>
public sealed class ToolVolumePolicy(IToolResolver tools, ToolforgeOptions options) : IAdmissionPlugin
{
    public const string MountStorageLabel = "toolforge.org/mount-storage";
    public const string VolumeName = "home";

    public string Name => "ToolforgeVolumePolicy";

    public async ValueTask MutateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (PodSpecSites.Target(a) is not { IsPod: true } site || a.Operation != AdmissionOperation.Create) return;
        if (await tools.ResolveAsync(a, ct).ConfigureAwait(false) is not { Problem: null } scope) return;
        if (site.Label(MountStorageLabel) is not (null or "all")) return;
        Mutate(site, scope.Tool, HomePath(options.Homes, scope.Tool));
    }

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (PodSpecSites.Target(a) is not { } site) return;
        // Volumes of a pod cannot change after its creation (ephemeral containers have none).
        if (site.IsPod && a.Operation != AdmissionOperation.Create) return;
        if (await tools.ResolveAsync(a, ct).ConfigureAwait(false) is not { } scope || scope.Tool.Length == 0) return;
        if (Problem(site, scope.Tool, HomePath(options.Homes, scope.Tool)) is { } problem)
            throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, problem);
    }

    public static string HomePath(string homes, string tool) => $"{homes.TrimEnd('/')}/{tool}";

    /// <summary>Adds the home volume, its mounts and the environment to the pod's containers and init containers.</summary>
    internal static void Mutate(PodSpecSite site, string tool, string homePath)
    {
        var dataDir = $"/data/project/{tool}";
        var volumes = Array(site.Spec, "volumes");
        var existing = volumes.OfType<JsonObject>().FirstOrDefault(v => JsonRead.Str(v["name"]) == VolumeName);
        if (existing == null)
            volumes.Add(new JsonObject
            {
                ["name"] = VolumeName,
                ["hostPath"] = new JsonObject { ["path"] = homePath, ["type"] = "Directory" },
            });
        else if (!IsOwnHome(existing, homePath))
            return; // refused by validation
        foreach (var (c, _) in site.Containers("containers", "initContainers"))
        {
            var mounts = Array(c, "volumeMounts");
            if (!mounts.Any(m => JsonRead.Str(m?["mountPath"])?.TrimEnd('/') == dataDir))
                mounts.Add(new JsonObject { ["name"] = VolumeName, ["mountPath"] = dataDir });
            var env = Array(c, "env");
            var names = env.Select(e => JsonRead.Str(e?["name"])).ToHashSet();
            if (names.Contains("NO_HOME")) c.Remove("workingDir");
            else if (!names.Contains("HOME")) env.Add(new JsonObject { ["name"] = "HOME", ["value"] = dataDir });
            var toolDataDir = env.OfType<JsonObject>().FirstOrDefault(e => JsonRead.Str(e["name"]) == "TOOL_DATA_DIR");
            if (toolDataDir != null) env.Remove(toolDataDir);
            env.Add(new JsonObject { ["name"] = "TOOL_DATA_DIR", ["value"] = dataDir });
        }
    }

    /// <summary>Why the pod spec breaks the volume policy; null when it does not.</summary>
    internal static string? Problem(PodSpecSite site, string tool, string homePath)
    {
        var label = site.Label(MountStorageLabel);
        if (label is not (null or "all" or "none"))
            return $"Invalid value for {MountStorageLabel} label: \"{label}\" (must be all or none)";
        var volumes = site.Spec["volumes"] as JsonArray ?? [];
        for (var i = 0; i < volumes.Count; i++)
        {
            if (volumes[i] is not JsonObject v || v["hostPath"] is not JsonObject hostPath) continue;
            if (JsonRead.Str(v["name"]) == VolumeName && IsOwnHome(v, homePath)) continue;
            return $"No hostPath volumes allowed, got one under {site.Path}/volumes/{i} Name:{JsonRead.Str(v["name"])} HostPath:{JsonRead.Str(hostPath["path"])}";
        }
        if (label != "none" && volumes.OfType<JsonObject>().FirstOrDefault(v => JsonRead.Str(v["name"]) == VolumeName) is { } home && !IsOwnHome(home, homePath))
            return $"Volume name {VolumeName} is reserved for the tool's home ({homePath} at /data/project/{tool}); use another name or the label {MountStorageLabel}: none";
        return null;
    }

    /// <summary>The tool's home exactly: the path as given (no other spelling) and no type that could create it.</summary>
    private static bool IsOwnHome(JsonObject volume, string homePath) =>
        volume["hostPath"] is JsonObject hp && JsonRead.Str(hp["path"]) == homePath && JsonRead.Str(hp["type"]) is null or "" or "Directory";

    private static JsonArray Array(JsonObject parent, string key)
    {
        if (parent[key] is JsonArray a) return a;
        parent[key] = a = [];
        return a;
    }
}
