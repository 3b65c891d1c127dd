using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

internal static partial class BuiltInPrinters
{
    private static readonly ITablePrinter Pod = Printer(
        [NameColumn, Col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
         Col("Status", "string", "The aggregate status of the containers in this pod."),
         Col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
         AgeColumn,
         Col("IP", "string", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
         Col("Node", "string", "NodeName indicates in which node this pod is scheduled.", 1),
         Col("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.", 1),
         Col("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", 1)],
        PodCells);

    // printPod: READY counts, the STATUS reason (init containers, waiting/terminated reasons, Terminating),
    // and RESTARTS with the time of the last restart.
    private static object?[] PodCells(JsonObject pod, DateTimeOffset now)
    {
        var restarts = 0L;
        var restartableInitRestarts = 0L;
        var totalContainers = Json.Count(pod, "spec", "containers");
        var readyContainers = 0;
        DateTimeOffset? lastRestart = null, lastRestartableInitRestart = null;

        var phase = Json.Str(pod, "status", "phase");
        var reason = Json.Str(pod, "status", "reason") is { Length: > 0 } statusReason ? statusReason : phase;
        foreach (var c in Json.Objects(pod, "status", "conditions"))
            if (Json.Str(c, "type") == "PodScheduled" && Json.Str(c, "reason") == "SchedulingGated")
                reason = "SchedulingGated";

        var initContainers = new Dictionary<string, JsonObject>();
        foreach (var c in Json.Objects(pod, "spec", "initContainers"))
        {
            initContainers[Json.Str(c, "name")] = c;
            if (IsRestartable(c)) totalContainers++;
        }
        var initCount = Json.Count(pod, "spec", "initContainers");

        var initializing = false;
        var i = 0;
        foreach (var cs in Json.Objects(pod, "status", "initContainerStatuses"))
        {
            var index = i++;
            restarts += Json.Int(cs, "restartCount");
            var finished = Json.Has(cs, "lastState", "terminated") ? Json.Time(cs, "lastState", "terminated", "finishedAt") : null;
            lastRestart = Later(lastRestart, finished);
            var restartable = initContainers.TryGetValue(Json.Str(cs, "name"), out var spec) && IsRestartable(spec);
            if (restartable)
            {
                restartableInitRestarts += Json.Int(cs, "restartCount");
                lastRestartableInitRestart = Later(lastRestartableInitRestart, finished);
            }
            var terminated = Json.Obj(cs, "state", "terminated");
            var waiting = Json.Obj(cs, "state", "waiting");
            if (terminated != null && Json.Int(terminated, "exitCode") == 0)
                continue;
            if (restartable && Json.Bool(cs, "started"))
            {
                if (Json.Bool(cs, "ready")) readyContainers++;
                continue;
            }
            if (terminated != null)
            {
                var r = Json.Str(terminated, "reason");
                reason = r.Length > 0 ? "Init:" + r
                    : Json.Int(terminated, "signal") != 0 ? $"Init:Signal:{Json.Int(terminated, "signal")}"
                    : $"Init:ExitCode:{Json.Int(terminated, "exitCode")}";
            }
            else if (waiting != null && Json.Str(waiting, "reason") is { Length: > 0 } w && w != "PodInitializing")
                reason = "Init:" + w;
            else
                reason = $"Init:{index}/{initCount}";
            initializing = true;
            break;
        }

        var initializedTrue = Json.Objects(pod, "status", "conditions")
            .Any(c => Json.Str(c, "type") == "Initialized" && Json.Str(c, "status") == "True");
        if (!initializing || initializedTrue)
        {
            restarts = restartableInitRestarts;
            lastRestart = lastRestartableInitRestart;
            var hasRunning = false;
            foreach (var cs in Json.Objects(pod, "status", "containerStatuses").Reverse())
            {
                restarts += Json.Int(cs, "restartCount");
                if (Json.Has(cs, "lastState", "terminated"))
                    lastRestart = Later(lastRestart, Json.Time(cs, "lastState", "terminated", "finishedAt"));
                var terminated = Json.Obj(cs, "state", "terminated");
                var waiting = Json.Obj(cs, "state", "waiting");
                if (waiting != null && Json.Str(waiting, "reason").Length > 0)
                    reason = Json.Str(waiting, "reason");
                else if (terminated != null && Json.Str(terminated, "reason").Length > 0)
                    reason = Json.Str(terminated, "reason");
                else if (terminated != null)
                    reason = Json.Int(terminated, "signal") != 0 ? $"Signal:{Json.Int(terminated, "signal")}" : $"ExitCode:{Json.Int(terminated, "exitCode")}";
                else if (Json.Bool(cs, "ready") && Json.Has(cs, "state", "running"))
                {
                    hasRunning = true;
                    readyContainers++;
                }
            }
            // A pod whose containers mostly completed but one still runs is Running (or NotReady).
            if (reason == "Completed" && hasRunning)
            {
                var podReady = Json.Objects(pod, "status", "conditions").Any(c => Json.Str(c, "type") == "Ready" && Json.Str(c, "status") == "True");
                reason = podReady ? "Running" : "NotReady";
            }
        }

        var deleting = Json.Has(pod, "metadata", "deletionTimestamp");
        if (deleting && Json.Str(pod, "status", "reason") == "NodeLost")
            reason = "Unknown";
        else if (deleting && phase is not ("Succeeded" or "Failed"))
            reason = "Terminating";

        var restartsText = restarts != 0 && lastRestart is { } last
            ? $"{restarts} ({TableFormat.HumanDuration(now - last)} ago)"
            : restarts.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var podIP = Json.Objects(pod, "status", "podIPs").FirstOrDefault() is { } first ? Json.Str(first, "ip") : "";
        var nodeName = Json.Str(pod, "spec", "nodeName");
        var nominated = Json.Str(pod, "status", "nominatedNodeName");
        var readinessGates = "<none>";
        var gates = Json.Objects(pod, "spec", "readinessGates").ToList();
        if (gates.Count > 0)
        {
            var conditions = Json.Objects(pod, "status", "conditions").ToList();
            var trueCount = gates.Count(g => conditions.FirstOrDefault(c => Json.Str(c, "type") == Json.Str(g, "conditionType")) is { } c
                                            && Json.Str(c, "status") == "True");
            readinessGates = $"{trueCount}/{gates.Count}";
        }

        return [Name(pod), $"{readyContainers}/{totalContainers}", reason, restartsText, TableFormat.Age(pod, now),
                podIP.Length == 0 ? "<none>" : podIP, nodeName.Length == 0 ? "<none>" : nodeName,
                nominated.Length == 0 ? "<none>" : nominated, readinessGates];
    }

    // A sidecar: an init container with restartPolicy Always.
    private static bool IsRestartable(JsonObject container) => Json.Str(container, "restartPolicy") == "Always";

    private static DateTimeOffset? Later(DateTimeOffset? current, DateTimeOffset? candidate) =>
        candidate is { } c && (current is not { } cur || cur < c) ? c : current;
}
