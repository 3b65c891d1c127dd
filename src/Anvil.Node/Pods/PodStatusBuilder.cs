using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Node.Runtime;

namespace Anvil.Node.Pods;

/// <summary>
/// Pod status as the kubelet reports it (generateAPIPodStatus): phase from the container states (getPhase),
/// the PodReadyToStartContainers/Initialized/ContainersReady/Ready conditions, and container statuses.
/// A running container is started and ready unless its probes say otherwise (<see cref="ContainerView"/>).
/// </summary>
internal static class PodStatusBuilder
{
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static JsonObject ContainerStatus(ContainerView v, bool init)
    {
        var s = new JsonObject
        {
            ["name"] = v.Name,
            ["image"] = v.Image,
            ["imageID"] = v.ImageId,
        };
        var latest = v.Latest;
        var restarts = latest?.Attempt ?? 0;
        JsonObject state;
        JsonObject? last = null;
        var ready = false;
        var started = false;
        if (latest == null || v.WaitingReason == "CrashLoopBackOff" || latest.State == ContainerState.Created && v.WaitingReason.Length > 0)
        {
            state = Waiting(v.WaitingReason.Length > 0 ? v.WaitingReason : "ContainerCreating", v.WaitingMessage);
            if (latest is { State: ContainerState.Exited }) last = Terminated(latest);
        }
        else
        {
            s["containerID"] = "runc://" + latest.Id;
            switch (latest.State)
            {
                case ContainerState.Running:
                    state = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = Time(latest.StartedAt ?? latest.CreatedAt) } };
                    ready = !init && (v.Ready ?? true);
                    started = v.Started ?? true;
                    break;
                case ContainerState.Exited:
                    state = Terminated(latest);
                    ready = init && latest.ExitCode == 0;
                    break;
                default:
                    state = Waiting("ContainerCreating", "");
                    break;
            }
            if (v.Previous is { State: ContainerState.Exited } prev) last = Terminated(prev);
        }
        if (latest != null && !s.ContainsKey("containerID")) s["containerID"] = "runc://" + latest.Id;
        s["lastState"] = last ?? new JsonObject();
        s["ready"] = ready;
        s["restartCount"] = restarts;
        s["started"] = started;
        s["state"] = state;
        return s;
    }

    /// <summary>An ephemeral container's status: as a regular one's, but never ready and without <c>started</c>.</summary>
    public static JsonObject EphemeralContainerStatus(ContainerView v)
    {
        var s = ContainerStatus(v, false);
        s["ready"] = false;
        s.Remove("started");
        return s;
    }

    private static JsonObject Waiting(string reason, string message)
    {
        var w = new JsonObject { ["reason"] = reason };
        if (message.Length > 0) w["message"] = message;
        return new JsonObject { ["waiting"] = w };
    }

    public static string TerminatedReason(ContainerStatus c) =>
        c.Reason == "OOMKilled" ? "OOMKilled" : c.ExitCode == 0 ? "Completed" : "Error";

    private static JsonObject Terminated(ContainerStatus c) => new()
    {
        ["terminated"] = new JsonObject
        {
            ["containerID"] = "runc://" + c.Id,
            ["exitCode"] = c.ExitCode,
            ["finishedAt"] = Time(c.FinishedAt ?? DateTimeOffset.UtcNow),
            ["reason"] = TerminatedReason(c),
            ["startedAt"] = Time(c.StartedAt ?? c.CreatedAt),
        },
    };

    /// <summary>The kubelet's getPhase over regular containers (init containers gate it to Pending first).</summary>
    public static string Phase(string restartPolicy, bool initFailed, bool initDone, IReadOnlyList<JsonObject> statuses)
    {
        if (initFailed && restartPolicy == "Never") return "Failed";
        if (!initDone) return "Pending";
        int running = 0, waiting = 0, stopped = 0, succeeded = 0;
        foreach (var s in statuses)
        {
            var state = s["state"] as JsonObject;
            if (state?["running"] != null) running++;
            else if (state?["terminated"] is JsonObject t)
            {
                stopped++;
                if ((int?)t["exitCode"] == 0) succeeded++;
            }
            else if ((s["lastState"] as JsonObject)?["terminated"] != null) stopped++;
            else waiting++;
        }
        if (waiting > 0) return "Pending";
        if (running > 0) return "Running";
        if (stopped > 0)
        {
            if (restartPolicy == "Always") return "Running";
            if (stopped == succeeded) return "Succeeded";
            if (restartPolicy == "OnFailure") return "Running";
            return "Failed";
        }
        return "Pending";
    }

    /// <summary>
    /// Conditions in the kubelet's order, keeping lastTransitionTime from <paramref name="old"/> when a status did
    /// not change.
    /// </summary>
    public static JsonArray Conditions(JsonArray? old, string phase, IReadOnlyList<string> unreadyInit, IReadOnlyList<string> unready, DateTimeOffset now)
    {
        var list = new JsonArray();
        void Add(string type, bool status, string? reason = null, string? message = null)
        {
            var prev = (old ?? []).OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);
            var st = status ? "True" : "False";
            var c = new JsonObject
            {
                ["lastProbeTime"] = null,
                ["lastTransitionTime"] = prev != null && (string?)prev["status"] == st ? prev["lastTransitionTime"]?.DeepClone() : Time(now),
            };
            if (message != null) c["message"] = message;
            if (reason != null) c["reason"] = reason;
            c["status"] = st;
            c["type"] = type;
            list.Add(c);
        }
        var completed = phase is "Succeeded" or "Failed";
        Add("PodReadyToStartContainers", !completed);
        if (phase == "Succeeded") Add("Initialized", true, "PodCompleted");
        else if (unreadyInit.Count == 0) Add("Initialized", true);
        else Add("Initialized", false, "ContainersNotInitialized", $"containers with incomplete status: [{string.Join(' ', unreadyInit)}]");
        if (phase == "Succeeded")
        {
            Add("Ready", false, "PodCompleted");
            Add("ContainersReady", false, "PodCompleted");
        }
        else if (unready.Count == 0)
        {
            Add("Ready", true);
            Add("ContainersReady", true);
        }
        else
        {
            var msg = $"containers with unready status: [{string.Join(' ', unready)}]";
            Add("Ready", false, "ContainersNotReady", msg);
            Add("ContainersReady", false, "ContainersNotReady", msg);
        }
        var scheduled = (old ?? []).OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "PodScheduled");
        list.Add(scheduled?.DeepClone() ?? new JsonObject { ["lastProbeTime"] = null, ["lastTransitionTime"] = Time(now), ["status"] = "True", ["type"] = "PodScheduled" });
        return list;
    }
}
