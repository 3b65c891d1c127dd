using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Disruption;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;
using Anvil.Machinery.Validation;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.Disruption;

/// <summary>
/// Keeps PodDisruptionBudget status current (pkg/controller/disruption, reduced): expectedPods,
/// desiredHealthy from minAvailable/maxUnavailable (percentages scaled by the replicas of the pods'
/// controllers), currentHealthy = matching pods that are Ready, not deleting and not just evicted,
/// disruptionsAllowed = currentHealthy - desiredHealthy (never below 0), observedGeneration, and the
/// DisruptionAllowed condition. The eviction subresource spends from these numbers.
/// </summary>
public sealed class DisruptionController : Controller
{
    public static readonly ResourceRef PodDisruptionBudgets = new("policy", "v1", "poddisruptionbudgets", true);
    private static readonly ResourceRef PodsRef = new("", "v1", "pods", true);
    /// <summary>An eviction not seen through within this time is assumed not to happen (DeletionTimeout).</summary>
    public static readonly TimeSpan DeletionTimeout = TimeSpan.FromMinutes(2);

    private readonly KubeClient _client;
    private readonly Informer _pdbs;
    private readonly Informer _pods;
    private readonly TimeProvider _time;

    public override string Name => "disruption";

    public DisruptionController(KubeClient client, ILogger log, TimeProvider? time = null, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        _time = time ?? TimeProvider.System;
        _pdbs = informers.For(PodDisruptionBudgets);
        _pods = informers.For(PodsRef);
        _pdbs.Added += pdb => Queue.Add(Informer.KeyOf(pdb));
        _pdbs.Updated += (_, pdb) => Queue.Add(Informer.KeyOf(pdb));
        _pods.Added += EnqueueBudgetsOf;
        _pods.Updated += (old, pod) =>
        {
            EnqueueBudgetsOf(pod);
            if (!JsonNode.DeepEquals(old["metadata"]?["labels"], pod["metadata"]?["labels"])) EnqueueBudgetsOf(old);
        };
        _pods.Deleted += EnqueueBudgetsOf;
    }

    protected override IEnumerable<Informer> Informers => [_pdbs, _pods];

    private void EnqueueBudgetsOf(JsonObject pod)
    {
        var ns = ObjectMeta.Namespace(pod);
        foreach (var pdb in _pdbs.List())
            if (ObjectMeta.Namespace(pdb) == ns && Selector(pdb).Matches(ObjectMeta.Labels(pod)))
                Queue.Add(Informer.KeyOf(pdb));
    }

    private static LabelSelector Selector(JsonObject pdb)
    {
        try
        {
            return LabelSelector.FromLabelSelectorJson(pdb["spec"]?["selector"] as JsonObject);
        }
        catch (Anvil.Machinery.Errors.StatusError)
        {
            return LabelSelector.Nothing;
        }
    }

    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var pdb = _pdbs.Get(key);
        if (pdb == null || ObjectMeta.IsDeleting(pdb)) return;
        var ns = ObjectMeta.Namespace(pdb);
        var selector = Selector(pdb);
        var pods = _pods.List().Where(p => ObjectMeta.Namespace(p) == ns && selector.Matches(ObjectMeta.Labels(p))).ToList();
        var spec = pdb["spec"] as JsonObject;
        var (expected, desired) = await ExpectedAndDesiredAsync(spec, pods, ns, ct).ConfigureAwait(false);

        // Evictions approved by the API server but not yet seen as deletions do not count as healthy.
        var now = _time.GetUtcNow();
        var disrupted = new JsonObject();
        var byName = pods.ToDictionary(ObjectMeta.Name);
        DateTimeOffset? nextExpiry = null;
        foreach (var (podName, when) in pdb["status"]?["disruptedPods"] as JsonObject ?? [])
        {
            if (!byName.TryGetValue(podName, out var p) || ObjectMeta.IsDeleting(p)) continue;
            if (ObjectMeta.ParseTime(when) is not { } t || t + DeletionTimeout <= now) continue;
            disrupted[podName] = when?.DeepClone();
            nextExpiry = nextExpiry == null || t + DeletionTimeout < nextExpiry ? t + DeletionTimeout : nextExpiry;
        }
        var healthy = pods.Count(p => !ObjectMeta.IsDeleting(p) && IsReady(p) && !disrupted.ContainsKey(ObjectMeta.Name(p)));
        var allowed = healthy - desired;
        if (expected <= 0 || allowed <= 0) allowed = 0;

        var updated = (JsonObject)pdb.DeepClone();
        var oldStatus = pdb["status"] as JsonObject;
        var status = new JsonObject
        {
            ["currentHealthy"] = healthy,
            ["desiredHealthy"] = desired,
            ["disruptionsAllowed"] = allowed,
            ["expectedPods"] = expected,
            ["observedGeneration"] = JsonRead.Int(pdb["metadata"]?["generation"]) ?? 0,
        };
        if (disrupted.Count > 0) status["disruptedPods"] = disrupted;
        status["conditions"] = oldStatus?["conditions"]?.DeepClone() ?? new JsonArray();
        DisruptionAllowedCondition.Set(status, allowed > 0, ObjectMeta.FormatTime(now));
        updated["status"] = status;
        if (!JsonNode.DeepEquals(oldStatus, status))
            await _client.UpdateAsync(PodDisruptionBudgets, ns, ObjectMeta.Name(pdb), updated, "status", ct).ConfigureAwait(false);
        if (nextExpiry is { } expiry) Queue.AddAfter(key, expiry - now + TimeSpan.FromSeconds(1));
    }

    /// <summary>getExpectedPodCount: minAvailable as a number counts the matching pods; percentages and maxUnavailable scale by the controllers' replicas.</summary>
    private async Task<(long Expected, long Desired)> ExpectedAndDesiredAsync(JsonObject? spec, List<JsonObject> pods, string ns, CancellationToken ct)
    {
        var maxUnavailable = spec?["maxUnavailable"];
        var minAvailable = spec?["minAvailable"];
        if (maxUnavailable != null)
        {
            var expected = await ControllerScaleAsync(pods, ns, ct).ConfigureAwait(false);
            var unavailable = Scaled(maxUnavailable, expected);
            return (expected, Math.Max(0, expected - unavailable));
        }
        if (minAvailable is JsonValue v && v.TryGetValue<long>(out var count)) return (pods.Count, count);
        if (minAvailable != null)
        {
            var expected = await ControllerScaleAsync(pods, ns, ct).ConfigureAwait(false);
            return (expected, Scaled(minAvailable, expected));
        }
        return (pods.Count, 0);
    }

    /// <summary>intstr.GetScaledValueFromIntOrPercent with rounding up.</summary>
    internal static long Scaled(JsonNode value, long total)
    {
        if (value is JsonValue v && v.TryGetValue<long>(out var n)) return n;
        var text = JsonRead.Str(value) ?? "";
        if (text.EndsWith('%') && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
            return (long)Math.Ceiling(percent * total / 100.0);
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var plain) ? plain : 0;
    }

    /// <summary>The replicas of the controllers owning the pods (a Deployment for its ReplicaSets); a pod without one counts as one.</summary>
    private async Task<long> ControllerScaleAsync(List<JsonObject> pods, string ns, CancellationToken ct)
    {
        long total = 0;
        var seen = new HashSet<string>();
        foreach (var pod in pods)
        {
            var owner = ObjectMeta.OwnerReferences(pod).FirstOrDefault(o => JsonRead.Bool(o["controller"]) == true);
            if (owner == null)
            {
                total++;
                continue;
            }
            if (!seen.Add(JsonRead.Str(owner["uid"]) ?? "")) continue;
            total += await ReplicasAsync(owner, ns, ct).ConfigureAwait(false) ?? 1;
        }
        return total;
    }

    private async Task<long?> ReplicasAsync(JsonObject owner, string ns, CancellationToken ct)
    {
        var kind = JsonRead.Str(owner["kind"]);
        var name = JsonRead.Str(owner["name"]) ?? "";
        ResourceRef? r = kind switch
        {
            "ReplicaSet" => new("apps", "v1", "replicasets", true),
            "StatefulSet" => new("apps", "v1", "statefulsets", true),
            "ReplicationController" => new("", "v1", "replicationcontrollers", true),
            "Deployment" => new("apps", "v1", "deployments", true),
            _ => null,
        };
        if (r == null) return null;
        try
        {
            var obj = await _client.GetAsync(r, ns, name, ct).ConfigureAwait(false);
            if (kind == "ReplicaSet" && ObjectMeta.OwnerReferences(obj).FirstOrDefault(o => JsonRead.Bool(o["controller"]) == true && JsonRead.Str(o["kind"]) == "Deployment") is { } deployment)
                return await ReplicasAsync(deployment, ns, ct).ConfigureAwait(false);
            return JsonRead.Int(obj["spec"]?["replicas"]) ?? 1;
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    private static bool IsReady(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => JsonRead.Str(c["type"]) == "Ready" && JsonRead.Str(c["status"]) == "True");
}
