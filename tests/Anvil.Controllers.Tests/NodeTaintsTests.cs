using System.Text.Json.Nodes;
using Anvil.Controllers.NodeLifecycle;

namespace Anvil.Controllers.Tests;

/// <summary>Which taints a node should carry, and when a pod on a NoExecute-tainted node must go.</summary>
public sealed class NodeTaintsTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static JsonObject Node(bool unschedulable, string? ready, string taints = "[]") => JsonNode.Parse(
        "{\"spec\":{\"unschedulable\":" + (unschedulable ? "true" : "false") + ",\"taints\":" + taints + "},\"status\":{\"conditions\":"
        + (ready == null ? "[]" : "[{\"type\":\"Ready\",\"status\":\"" + ready + "\"}]") + "}}")!.AsObject();

    private static string Show(JsonArray? taints) =>
        taints == null ? "unchanged" : string.Join(",", taints.OfType<JsonObject>().Select(t => $"{t["key"]}:{t["effect"]}@{t["timeAdded"]}"));

    [Theory]
    [InlineData(false, "True", "[]", "unchanged")]
    [InlineData(false, null, "[]", "unchanged")]
    [InlineData(true, "True", "[]", "node.kubernetes.io/unschedulable:NoSchedule@T")]
    [InlineData(false, "Unknown", "[]", "node.kubernetes.io/unreachable:NoSchedule@T,node.kubernetes.io/unreachable:NoExecute@T")]
    [InlineData(false, "False", "[]", "node.kubernetes.io/not-ready:NoSchedule@T,node.kubernetes.io/not-ready:NoExecute@T")]
    // Unreachable → not ready: the unreachable taints go, the not-ready ones come; foreign taints stay.
    [InlineData(false, "False", """[{"key":"x","effect":"NoExecute"},{"key":"node.kubernetes.io/unreachable","effect":"NoExecute","timeAdded":"old"}]""",
        "x:NoExecute@,node.kubernetes.io/not-ready:NoSchedule@T,node.kubernetes.io/not-ready:NoExecute@T")]
    // Healthy and uncordoned again: every managed taint goes.
    [InlineData(false, "True", """[{"key":"node.kubernetes.io/unschedulable","effect":"NoSchedule"},{"key":"node.kubernetes.io/unreachable","effect":"NoExecute","timeAdded":"old"}]""", "")]
    // Present already: kept with its old timeAdded, nothing to write.
    [InlineData(false, "Unknown", """[{"key":"node.kubernetes.io/unreachable","effect":"NoSchedule","timeAdded":"old"},{"key":"node.kubernetes.io/unreachable","effect":"NoExecute","timeAdded":"old"}]""", "unchanged")]
    public void Reconcile(bool unschedulable, string? ready, string taints, string expected)
    {
        Assert.Equal(expected, Show(NodeTaints.Reconcile(Node(unschedulable, ready, taints), "T")));
    }

    [Theory]
    // Not tolerated: now.
    [InlineData("[]", 0)]
    [InlineData("""[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoSchedule"}]""", 0)]
    // Tolerated for a while: counted from the taint's timeAdded (60 s ago).
    [InlineData("""[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]""", 240)]
    [InlineData("""[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":10}]""", -50)]
    [InlineData("""[{"operator":"Exists","tolerationSeconds":30},{"key":"node.kubernetes.io/unreachable","operator":"Exists","tolerationSeconds":300}]""", -30)]
    // Tolerated forever.
    [InlineData("""[{"key":"node.kubernetes.io/unreachable","operator":"Exists"}]""", null)]
    [InlineData("""[{"key":"node.kubernetes.io/unreachable","operator":"Equal","value":"","effect":"NoExecute"}]""", null)]
    [InlineData("""[{"key":"node.kubernetes.io/unreachable","operator":"Equal","value":"v","effect":"NoExecute"}]""", 0)]
    public void EvictionTime(string tolerations, int? secondsFromNow)
    {
        var taint = JsonNode.Parse($$$"""{"key":"node.kubernetes.io/unreachable","effect":"NoExecute","timeAdded":"{{{(Now - TimeSpan.FromSeconds(60)).UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}}}"}""")!.AsObject();
        var due = NodeTaints.EvictionTime([taint], JsonNode.Parse(tolerations) as JsonArray, Now);
        Assert.Equal(secondsFromNow == null ? null : Now + TimeSpan.FromSeconds(secondsFromNow.Value), due);
    }
}
