using System.Text.Json.Nodes;
using Anvil.Scheduler.Framework;
using Anvil.Scheduler.Plugins;
using static Anvil.Scheduler.Tests.TestObjects;

namespace Anvil.Scheduler.Tests;

public sealed class FilterTests
{
    private static NodeInfo NodeInfoOf(JsonObject node, params JsonObject[] pods)
    {
        var info = new NodeInfo(Anvil.Machinery.Meta.ObjectMeta.Name(node));
        info.SetNode(node);
        foreach (var p in pods) info.AddPod(PodInfo.From(p));
        return info;
    }

    private static string? Run(JsonObject pod, JsonObject node, params JsonObject[] existing)
    {
        var info = NodeInfoOf(node, existing);
        var p = PodInfo.From(pod);
        var status = SchedulingAlgorithm.RunFilters(p, info, PodTopologySpread.PreFilter(p, [info]));
        return status == null ? null : $"{status.Code}: {string.Join("; ", status.Reasons)}";
    }

    [Theory]
    [InlineData(false, false, null)]
    [InlineData(true, false, "UnschedulableAndUnresolvable: node(s) were unschedulable")]
    [InlineData(true, true, null)]
    public void NodeUnschedulable(bool cordoned, bool tolerates, string? expected)
    {
        var spec = new JsonObject();
        if (tolerates) spec["tolerations"] = new JsonArray(new JsonObject { ["key"] = "node.kubernetes.io/unschedulable", ["operator"] = "Exists", ["effect"] = "NoSchedule" });
        Assert.Equal(expected, Run(Pod("p", spec: spec), Node("n1", unschedulable: cordoned)));
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("n1", null)]
    [InlineData("n2", "UnschedulableAndUnresolvable: node(s) didn't match the requested node name")]
    public void NodeName(string nodeName, string? expected)
    {
        var spec = new JsonObject();
        if (nodeName.Length > 0) spec["nodeName"] = nodeName;
        Assert.Equal(expected, Run(Pod("p", spec: spec), Node("n1")));
    }

    [Theory]
    // cpu request, memory request, node cpu, node memory, node pods, existing pods' cpu
    [InlineData("500m", "1Gi", "1", "2Gi", "110", 0, null)]
    [InlineData("1500m", null, "1", "2Gi", "110", 0, "Unschedulable: Insufficient cpu")]
    [InlineData("500m", null, "1", "2Gi", "110", 1, "Unschedulable: Insufficient cpu")]
    [InlineData("2", "4Gi", "1", "2Gi", "110", 0, "Unschedulable: Insufficient cpu; Insufficient memory")]
    [InlineData(null, null, "1", "2Gi", "1", 1, "Unschedulable: Too many pods")]
    [InlineData("2", null, "1", "2Gi", "1", 1, "Unschedulable: Too many pods; Insufficient cpu")]
    [InlineData(null, null, "0", "0", "110", 0, null)]
    public void NodeResourcesFit(string? cpu, string? memory, string nodeCpu, string nodeMemory, string nodePods, int existing, string? expected)
    {
        var pods = Enumerable.Range(0, existing).Select(i => Pod($"e{i}", cpu: "600m")).ToArray();
        Assert.Equal(expected, Run(Pod("p", cpu: cpu, memory: memory), Node("n1", nodeCpu, nodeMemory, nodePods), pods));
    }

    [Fact]
    public void NodeResourcesFitCountsTheLargestInitContainer()
    {
        var spec = new JsonObject
        {
            ["initContainers"] = new JsonArray(new JsonObject { ["name"] = "i", ["image"] = "x", ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "3" } } }),
        };
        var pod = Pod("p", cpu: "1", spec: spec);
        Assert.Equal(new Resources(3000, 0), PodInfo.From(pod).Requests);
        Assert.Equal("Unschedulable: Insufficient cpu", Run(pod, Node("n1", cpu: "2")));
        Assert.Null(Run(pod, Node("n1", cpu: "3")));
    }

    [Fact]
    public void SidecarsAddToContainersAndToLaterInitContainers()
    {
        JsonObject C(string name, string cpu, bool sidecar = false)
        {
            var c = new JsonObject { ["name"] = name, ["image"] = "x", ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = cpu } } };
            if (sidecar) c["restartPolicy"] = "Always";
            return c;
        }
        var spec = new JsonObject
        {
            ["initContainers"] = new JsonArray(C("side", "500m", sidecar: true), C("init", "2")),
            ["containers"] = new JsonArray(C("main", "1")),
        };
        // max(1 + 0.5 sidecar, 0.5 + 2 init) = 2.5
        Assert.Equal(new Resources(2500, 0), PodInfo.From(Pod("p", spec: spec)).Requests);
    }

    [Theory]
    [InlineData("NoSchedule", "", "", "", "UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: tools}")]
    [InlineData("NoExecute", "", "", "", "UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: tools}")]
    [InlineData("PreferNoSchedule", "", "", "", null)]
    [InlineData("NoSchedule", "dedicated", "Equal", "tools", null)]
    [InlineData("NoSchedule", "dedicated", "Equal", "other", "UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: tools}")]
    [InlineData("NoSchedule", "dedicated", "Exists", "", null)]
    [InlineData("NoSchedule", "", "Exists", "", null)]
    public void TaintToleration(string effect, string key, string op, string value, string? expected)
    {
        var spec = new JsonObject();
        if (op.Length > 0) spec["tolerations"] = new JsonArray(new JsonObject { ["key"] = key, ["operator"] = op, ["value"] = value });
        Assert.Equal(expected, Run(Pod("p", spec: spec), Node("n1", taints: Taint("dedicated", "tools", effect))));
    }

    [Theory]
    [InlineData("False", "UnschedulableAndUnresolvable: node(s) had untolerated taint {node.kubernetes.io/not-ready: }")]
    [InlineData("Unknown", "UnschedulableAndUnresolvable: node(s) had untolerated taint {node.kubernetes.io/unreachable: }")]
    [InlineData("True", null)]
    public void NodeReadyConditionActsAsTaint(string ready, string? expected) =>
        Assert.Equal(expected, Run(Pod("p"), Node("n1", readyStatus: ready)));

    [Theory]
    [InlineData("""{"disk":"ssd"}""", null, null)]
    [InlineData("""{"disk":"hdd"}""", null, "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector")]
    [InlineData("""{"gpu":"yes"}""", null, "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector")]
    [InlineData(null, """[{"matchExpressions":[{"key":"disk","operator":"In","values":["ssd","nvme"]}]}]""", null)]
    [InlineData(null, """[{"matchExpressions":[{"key":"disk","operator":"NotIn","values":["ssd"]}]}]""", "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector")]
    [InlineData(null, """[{"matchExpressions":[{"key":"gpu","operator":"NotIn","values":["x"]}]}]""", null)]
    [InlineData(null, """[{"matchExpressions":[{"key":"disk","operator":"Exists"}]}]""", null)]
    [InlineData(null, """[{"matchExpressions":[{"key":"disk","operator":"DoesNotExist"}]}]""", "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector")]
    [InlineData(null, """[{"matchExpressions":[{"key":"cores","operator":"Gt","values":["7"]}]}]""", null)]
    [InlineData(null, """[{"matchExpressions":[{"key":"cores","operator":"Gt","values":["8"]}]}]""", "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector")]
    [InlineData(null, """[{"matchExpressions":[{"key":"cores","operator":"Lt","values":["9"]}]}]""", null)]
    [InlineData(null, """[{"matchExpressions":[{"key":"disk","operator":"Lt","values":["9"]}]}]""", "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector")]
    [InlineData(null, """[{"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]}]""", null)]
    [InlineData(null, """[{"matchFields":[{"key":"metadata.name","operator":"In","values":["n2"]}]}]""", "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector")]
    [InlineData(null, """[{"matchFields":[{"key":"metadata.name","operator":"In","values":["n2"]}]},{"matchExpressions":[{"key":"disk","operator":"In","values":["ssd"]}]}]""", null)]
    [InlineData(null, """[{}]""", "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector")]
    [InlineData("""{"disk":"ssd"}""", """[{"matchExpressions":[{"key":"disk","operator":"In","values":["hdd"]}]}]""", "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector")]
    public void NodeAffinity(string? nodeSelector, string? terms, string? expected)
    {
        var spec = new JsonObject();
        if (nodeSelector != null) spec["nodeSelector"] = JsonNode.Parse(nodeSelector);
        if (terms != null)
            spec["affinity"] = new JsonObject
            {
                ["nodeAffinity"] = new JsonObject { ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonObject { ["nodeSelectorTerms"] = JsonNode.Parse(terms) } },
            };
        var node = Node("n1", labels: new JsonObject { ["disk"] = "ssd", ["cores"] = "8" });
        Assert.Equal(expected, Run(Pod("p", spec: spec), node));
    }

    [Theory]
    // maxSkew, matching pods already on n1, on n2, which node is tried, expected
    [InlineData(1, 0, 0, "n1", null)]
    [InlineData(1, 1, 0, "n1", "Unschedulable: node(s) didn't match pod topology spread constraints")]
    [InlineData(1, 1, 0, "n2", null)]
    [InlineData(2, 1, 0, "n1", null)]
    [InlineData(1, 2, 1, "n1", "Unschedulable: node(s) didn't match pod topology spread constraints")]
    [InlineData(1, 1, 1, "n1", null)]
    public void PodTopologySpreadOnHostname(int maxSkew, int onN1, int onN2, string tried, string? expected)
    {
        var labels = new JsonObject { ["app"] = "web" };
        var n1 = NodeInfoOf(Node("n1"), Enumerable.Range(0, onN1).Select(i => Pod($"a{i}", labels: labels.DeepClone().AsObject())).ToArray());
        var n2 = NodeInfoOf(Node("n2"), Enumerable.Range(0, onN2).Select(i => Pod($"b{i}", labels: labels.DeepClone().AsObject())).ToArray());
        var spec = new JsonObject
        {
            ["topologySpreadConstraints"] = new JsonArray(new JsonObject
            {
                ["maxSkew"] = maxSkew, ["topologyKey"] = "kubernetes.io/hostname", ["whenUnsatisfiable"] = "DoNotSchedule",
                ["labelSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } },
            }),
        };
        var pod = PodInfo.From(Pod("p", spec: spec, labels: labels.DeepClone().AsObject()));
        var state = PodTopologySpread.PreFilter(pod, [n1, n2]);
        var status = PodTopologySpread.Filter(pod, tried == "n1" ? n1 : n2, state);
        Assert.Equal(expected, status == null ? null : $"{status.Code}: {string.Join("; ", status.Reasons)}");
    }

    [Fact]
    public void PodTopologySpreadNeedsTheTopologyLabel()
    {
        var node = Node("n1");
        ((JsonObject)node["metadata"]!["labels"]!).Remove("kubernetes.io/hostname");
        var spec = new JsonObject
        {
            ["topologySpreadConstraints"] = new JsonArray(new JsonObject
            {
                ["maxSkew"] = 1, ["topologyKey"] = "kubernetes.io/hostname", ["whenUnsatisfiable"] = "DoNotSchedule",
                ["labelSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } },
            }),
        };
        Assert.Equal("UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)", Run(Pod("p", spec: spec), node));
    }
}
