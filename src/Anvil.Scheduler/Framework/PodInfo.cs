using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;
using Anvil.Machinery.Validation;

namespace Anvil.Scheduler.Framework;

/// <summary>
/// What the scheduler needs of a pod, parsed once from its JSON: requests (incl. init containers and
/// sidecars), node selector, required node affinity, tolerations, topology spread constraints, owner.
/// </summary>
internal sealed class PodInfo
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public required string Uid { get; init; }
    public string Key => $"{Namespace}/{Name}";
    public string NodeName { get; init; } = "";
    public int Priority { get; init; }
    public string PreemptionPolicy { get; init; } = "PreemptLowerPriority";
    /// <summary>Requests for fitting (zero where a container asks for nothing).</summary>
    public Resources Requests { get; init; }
    /// <summary>Requests for scoring: containers without a request count the defaults (100m, 200Mi).</summary>
    public Resources NonZeroRequests { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty;
    public IReadOnlyDictionary<string, string> NodeSelector { get; init; } = Empty;
    /// <summary>requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms (ORed), or null when absent.</summary>
    public IReadOnlyList<NodeSelectorTerm>? RequiredAffinity { get; init; }
    public IReadOnlyList<Toleration> Tolerations { get; init; } = [];
    /// <summary>preferredDuringSchedulingIgnoredDuringExecution: (weight, term) pairs for scoring.</summary>
    public IReadOnlyList<(int Weight, NodeSelectorTerm Term)> PreferredAffinity { get; init; } = [];
    public IReadOnlyList<TopologySpreadConstraint> SpreadConstraints { get; init; } = [];
    /// <summary>The controller owner's UID, for spreading replicas of one workload.</summary>
    public string? ControllerUid { get; init; }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

    public static PodInfo From(JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject;
        var (requests, nonZero) = ComputeRequests(spec);
        return new PodInfo
        {
            Namespace = ObjectMeta.Namespace(pod),
            Name = ObjectMeta.Name(pod),
            Uid = ObjectMeta.Uid(pod),
            NodeName = JsonRead.Str(spec?["nodeName"]) ?? "",
            Priority = (int)(JsonRead.Int(spec?["priority"]) ?? 0),
            PreemptionPolicy = JsonRead.Str(spec?["preemptionPolicy"]) ?? "PreemptLowerPriority",
            Requests = requests,
            NonZeroRequests = nonZero,
            Labels = StringMap(ObjectMeta.Labels(pod)),
            NodeSelector = StringMap(spec?["nodeSelector"] as JsonObject),
            RequiredAffinity = ParseRequiredAffinity(spec?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"] as JsonObject),
            PreferredAffinity = (spec?["affinity"]?["nodeAffinity"]?["preferredDuringSchedulingIgnoredDuringExecution"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(p => ((int)(JsonRead.Int(p["weight"]) ?? 0), Term(p["preference"] as JsonObject ?? new JsonObject()))).ToList(),
            Tolerations = (spec?["tolerations"] as JsonArray ?? []).OfType<JsonObject>().Select(t => new Toleration(
                JsonRead.Str(t["key"]) ?? "", JsonRead.Str(t["operator"]) ?? "", JsonRead.Str(t["value"]) ?? "", JsonRead.Str(t["effect"]) ?? "")).ToList(),
            SpreadConstraints = ParseSpread(spec?["topologySpreadConstraints"] as JsonArray),
            ControllerUid = ObjectMeta.OwnerReferences(pod).FirstOrDefault(o => JsonRead.Bool(o["controller"]) == true) is { } owner ? JsonRead.Str(owner["uid"]) : null,
        };
    }

    /// <summary>
    /// The pod's effective request (resource helpers' PodRequests): the sum over containers and restartable
    /// init containers (sidecars), or the largest init container plus the sidecars started before it, if larger.
    /// </summary>
    internal static (Resources Requests, Resources NonZero) ComputeRequests(JsonObject? spec)
    {
        Resources sum = default, sumNonZero = default;
        foreach (var c in (spec?["containers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var (r, nz) = ContainerRequests(c);
            sum += r;
            sumNonZero += nz;
        }
        Resources sidecars = default, sidecarsNonZero = default, initMax = default, initMaxNonZero = default;
        foreach (var c in (spec?["initContainers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var (r, nz) = ContainerRequests(c);
            if (JsonRead.Str(c["restartPolicy"]) == "Always")
            {
                sidecars += r;
                sidecarsNonZero += nz;
                initMax = Resources.Max(initMax, sidecars);
                initMaxNonZero = Resources.Max(initMaxNonZero, sidecarsNonZero);
            }
            else
            {
                initMax = Resources.Max(initMax, sidecars + r);
                initMaxNonZero = Resources.Max(initMaxNonZero, sidecarsNonZero + nz);
            }
        }
        sum += sidecars;
        sumNonZero += sidecarsNonZero;
        var overhead = Resources.FromList(spec?["overhead"], out _, out _);
        return (Resources.Max(sum, initMax) + overhead, Resources.Max(sumNonZero, initMaxNonZero) + overhead);
    }

    private static (Resources, Resources) ContainerRequests(JsonObject container)
    {
        var r = Resources.FromList(container["resources"]?["requests"], out var hasCpu, out var hasMemory);
        var nz = new Resources(hasCpu ? r.MilliCpu : Resources.DefaultMilliCpu, hasMemory ? r.Memory : Resources.DefaultMemory);
        return (r, nz);
    }

    private static IReadOnlyList<NodeSelectorTerm>? ParseRequiredAffinity(JsonObject? selector)
    {
        if (selector == null) return null;
        return (selector["nodeSelectorTerms"] as JsonArray ?? []).OfType<JsonObject>().Select(Term).ToList();
    }

    private static NodeSelectorTerm Term(JsonObject t)
    {
        return new NodeSelectorTerm(Requirements(t["matchExpressions"] as JsonArray), Requirements(t["matchFields"] as JsonArray));

        static IReadOnlyList<NodeSelectorRequirement> Requirements(JsonArray? list) =>
            (list ?? []).OfType<JsonObject>().Select(r => new NodeSelectorRequirement(
                JsonRead.Str(r["key"]) ?? "", JsonRead.Str(r["operator"]) ?? "",
                (r["values"] as JsonArray ?? []).Select(v => JsonRead.Str(v) ?? "").ToList())).ToList();
    }

    private static IReadOnlyList<TopologySpreadConstraint> ParseSpread(JsonArray? list)
    {
        if (list == null || list.Count == 0) return [];
        var result = new List<TopologySpreadConstraint>();
        foreach (var c in list.OfType<JsonObject>())
        {
            LabelSelector selector;
            try
            {
                selector = LabelSelector.FromLabelSelectorJson(c["labelSelector"] as JsonObject);
            }
            catch (Anvil.Machinery.Errors.StatusError)
            {
                selector = LabelSelector.Nothing;
            }
            result.Add(new TopologySpreadConstraint((int)(JsonRead.Int(c["maxSkew"]) ?? 1), JsonRead.Str(c["topologyKey"]) ?? "",
                JsonRead.Str(c["whenUnsatisfiable"]) != "ScheduleAnyway", selector));
        }
        return result;
    }

    internal static IReadOnlyDictionary<string, string> StringMap(JsonObject? obj)
    {
        if (obj == null || obj.Count == 0) return Empty;
        var d = new Dictionary<string, string>(obj.Count);
        foreach (var (k, v) in obj) d[k] = JsonRead.Str(v) ?? "";
        return d;
    }
}
