using System.Text.Json.Nodes;

namespace Anvil.Scheduler.Tests;

/// <summary>Node and Pod JSON for tests.</summary>
internal static class TestObjects
{
    public static JsonObject Node(string name, string cpu = "4", string memory = "8Gi", string pods = "110", bool ready = true,
        bool unschedulable = false, JsonArray? taints = null, JsonObject? labels = null, string? readyStatus = null)
    {
        var allLabels = new JsonObject { ["kubernetes.io/hostname"] = name };
        foreach (var (k, v) in labels ?? []) allLabels[k] = v?.DeepClone();
        var spec = new JsonObject();
        if (unschedulable) spec["unschedulable"] = true;
        if (taints != null) spec["taints"] = taints;
        var status = readyStatus ?? (ready ? "True" : "False");
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = allLabels },
            ["spec"] = spec,
            ["status"] = new JsonObject
            {
                ["capacity"] = new JsonObject { ["cpu"] = cpu, ["memory"] = memory, ["pods"] = pods },
                ["allocatable"] = new JsonObject { ["cpu"] = cpu, ["memory"] = memory, ["pods"] = pods },
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = status, ["reason"] = "KubeletReady", ["message"] = "fake node without an agent" }),
            },
        };
    }

    public static JsonObject Pod(string name, string ns = "default", string? cpu = null, string? memory = null, JsonObject? spec = null, JsonObject? labels = null, string uid = "")
    {
        var requests = new JsonObject();
        if (cpu != null) requests["cpu"] = cpu;
        if (memory != null) requests["memory"] = memory;
        var container = new JsonObject { ["name"] = "c", ["image"] = "busybox" };
        if (requests.Count > 0) container["resources"] = new JsonObject { ["requests"] = requests };
        var podSpec = spec ?? new JsonObject();
        podSpec["containers"] ??= new JsonArray(container);
        var meta = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = uid.Length > 0 ? uid : name + "-uid" };
        if (labels != null) meta["labels"] = labels;
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = podSpec };
    }

    public static JsonArray Taint(string key, string value, string effect) =>
        new(new JsonObject { ["key"] = key, ["value"] = value, ["effect"] = effect });
}
