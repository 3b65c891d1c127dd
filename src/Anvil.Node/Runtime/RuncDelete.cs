using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Node.Runtime;

/// <summary>
/// <c>runc delete</c> of a container whose process has exited, without a runc process (a Go process per pod stop, as
/// <see cref="ExecFifo"/> saves one per start). For a stopped container with a PID namespace of its own and no hooks
/// (the agent writes none), what runc does is remove the container's cgroups (those its state records) and its state
/// dir <c>/run/runc/ID</c>. Anything unexpected (a cgroup with tasks left, hooks, an unreadable state) is left to runc.
/// </summary>
internal static class RuncDelete
{
    private const string RuncRoot = "/run/runc";

    /// <summary>True when done (or runc has no record of it); false: the caller runs <c>runc delete -f</c>.</summary>
    public static bool TryDeleteStopped(string id, int initPid)
    {
        var stateDir = Path.Combine(RuncRoot, id);
        JsonObject? state;
        try
        {
            state = JsonNode.Parse(File.ReadAllText(Path.Combine(stateDir, "state.json"))) as JsonObject;
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            return !Directory.Exists(stateDir);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return false;
        }
        if (state == null || state["init_process_pid"] is not JsonValue pid || !pid.TryGetValue<int>(out var recorded) || recorded != initPid) return false;
        if (state["config"]?["hooks"] is JsonObject { Count: > 0 } hooks && hooks.Any(h => h.Value is JsonArray { Count: > 0 })) return false;
        // Its own PID namespace: the kernel killed every process in it with the init, none is left to signal.
        if (state["config"]?["namespaces"] is not JsonArray namespaces
            || !namespaces.OfType<JsonObject>().Any(n => (string?)n["type"] == "NEWPID" && string.IsNullOrEmpty((string?)n["path"])))
            return false;
        // rmdir fails (EBUSY) while a task is left in a cgroup: runc then kills what is left.
        foreach (var path in (state["cgroup_paths"] as JsonObject ?? []).Select(p => (string?)p.Value).OfType<string>().Distinct())
        {
            try
            {
                if (Directory.Exists(path)) Directory.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
        try
        {
            Directory.Delete(stateDir, true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        return true;
    }
}
