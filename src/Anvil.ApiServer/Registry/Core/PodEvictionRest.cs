using System.Text.Json.Nodes;
using Anvil.Machinery.Disruption;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>
/// POST pods/{name}/eviction (pkg/registry/core/pod/storage/eviction.go): deletes a pod unless that would
/// violate the PodDisruptionBudget covering it. Pending, terminal and deleting pods go without a budget
/// check; otherwise the one matching budget must allow a disruption, which is taken from its status
/// (disruptionsAllowed - 1, the pod recorded in disruptedPods) before the pod is deleted with the
/// eviction's deleteOptions. A refusal is 429 TooManyRequests with a DisruptionBudget cause.
/// </summary>
public sealed class PodEvictionRest(ResourceStore store, ResourceCatalog catalog, TimeProvider time)
{
    /// <summary>Upstream refuses evictions while this many approved ones are unconfirmed by the PDB controller.</summary>
    public const int MaxDisruptedPodSize = 2000;
    public const string ViolationMessage = "Cannot evict pod as it would violate the pod's disruption budget.";
    private const int MaxAttempts = 20;

    public async Task<JsonObject> CreateAsync(ResourceDefinition pods, string ns, string name, JsonObject eviction, WriteOptions options, CancellationToken ct)
    {
        var apiVersion = JsonRead.Str(eviction["apiVersion"]) ?? "";
        if (apiVersion is not ("" or "policy/v1" or "policy/v1beta1"))
            throw StatusError.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version (policy/v1)");
        PodBindingRest.CheckTypeMeta(eviction, apiVersion, "Eviction");
        if (ObjectMeta.Name(eviction) != name) throw StatusError.BadRequest("name in URL does not match name in Eviction object");
        if (ObjectMeta.Namespace(eviction) is { Length: > 0 } bodyNs && bodyNs != ns)
            throw StatusError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        var deleteOptions = ParseDeleteOptions(eviction["deleteOptions"] as JsonObject, options.DryRun);
        var write = options with { Subresource = "" };
        var rvUnset = string.IsNullOrEmpty(deleteOptions.PreconditionResourceVersion);

        // Pods that are not running (or already going) cost the budget nothing: delete them directly.
        JsonObject pod;
        for (var attempt = 0; ; attempt++)
        {
            pod = await store.GetAsync(pods, ns, name, ct).ConfigureAwait(false);
            if (!CanIgnorePdb(pod)) break;
            var opts = deleteOptions;
            if (ShouldEnforceResourceVersion(pod) && rvUnset) opts = opts with { PreconditionResourceVersion = ObjectMeta.ResourceVersion(pod) };
            try
            {
                await store.DeleteAsync(pods, ns, name, opts, write, ct).ConfigureAwait(false);
                return PodBindingRest.SuccessStatus();
            }
            catch (StatusError e) when (e.Code == 409 && rvUnset && attempt < MaxAttempts)
            {
            }
        }

        var budgets = await MatchingBudgetsAsync(pod, ns, ct).ConfigureAwait(false);
        if (budgets.Count > 1)
            return new JsonObject
            {
                ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure",
                ["message"] = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                ["code"] = 500,
            };
        var enforceRv = false;
        var pdbName = "";
        if (budgets.Count == 1)
        {
            var pdb = budgets[0];
            pdbName = ObjectMeta.Name(pdb);
            var status = pdb["status"] as JsonObject;
            var unhealthyPolicy = JsonRead.Str(pdb["spec"]?["unhealthyPodEvictionPolicy"]);
            var desired = JsonRead.Int(status?["desiredHealthy"]) ?? 0;
            var current = JsonRead.Int(status?["currentHealthy"]) ?? 0;
            // An unready pod does not count towards healthy: evicting it takes nothing from the budget.
            if (!IsPodReady(pod) && (unhealthyPolicy == "AlwaysAllow" || (current >= desired && desired > 0)))
                enforceRv = true;
            else
                await CheckAndDecrementAsync(pdb, name, deleteOptions.DryRun, ct).ConfigureAwait(false);
        }

        var finalOptions = enforceRv && rvUnset ? deleteOptions with { PreconditionResourceVersion = ObjectMeta.ResourceVersion(pod) } : deleteOptions;
        try
        {
            await store.DeleteAsync(pods, ns, name, finalOptions, write, ct).ConfigureAwait(false);
        }
        catch (StatusError e) when (e.Code == 409 && enforceRv && rvUnset)
        {
            throw StillProcessing(pdbName);
        }
        return PodBindingRest.SuccessStatus();
    }

    private async Task<List<JsonObject>> MatchingBudgetsAsync(JsonObject pod, string ns, CancellationToken ct)
    {
        var def = PdbDefinition();
        var list = await store.ListAsync(def, ns, new ListOptions(), ct).ConfigureAwait(false);
        var labels = ObjectMeta.Labels(pod);
        var result = new List<JsonObject>();
        foreach (var pdb in list.Items)
        {
            LabelSelector selector;
            try
            {
                selector = LabelSelector.FromLabelSelectorJson(pdb["spec"]?["selector"] as JsonObject);
            }
            catch (StatusError)
            {
                continue; // an invalid selector matches nothing
            }
            // A nil or empty selector matches nothing here, not everything.
            if (selector.IsNothing || selector.IsEmpty || !selector.Matches(labels)) continue;
            result.Add(pdb);
        }
        return result;
    }

    /// <summary>Takes one disruption from the budget, re-reading it on conflicts; refusals are 429 (or 403 when the budget is broken).</summary>
    private async Task CheckAndDecrementAsync(JsonObject pdb, string podName, bool dryRun, CancellationToken ct)
    {
        var def = PdbDefinition();
        var ns = ObjectMeta.Namespace(pdb);
        var name = ObjectMeta.Name(pdb);
        for (var attempt = 0; ; attempt++)
        {
            var status = pdb["status"] as JsonObject ?? new JsonObject();
            var generation = JsonRead.Int(pdb["metadata"]?["generation"]) ?? 0;
            if ((JsonRead.Int(status["observedGeneration"]) ?? 0) < generation) throw StillProcessing(name);
            var allowed = JsonRead.Int(status["disruptionsAllowed"]) ?? 0;
            var gr = new GroupResource("policy", "poddisruptionbudget");
            if (allowed < 0) throw StatusError.Forbidden(gr, name, "pdb disruptions allowed is negative");
            if (status["disruptedPods"] is JsonObject disrupted && disrupted.Count > MaxDisruptedPodSize)
                throw StatusError.Forbidden(gr, name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller");
            if (allowed == 0)
                throw new StatusError(429, "TooManyRequests", ViolationMessage)
                {
                    Causes = [new StatusCause("DisruptionBudget", $"The disruption budget {name} needs {JsonRead.Int(status["desiredHealthy"]) ?? 0} healthy pods and has {JsonRead.Int(status["currentHealthy"]) ?? 0} currently")],
                };
            if (dryRun) return;

            var updated = (JsonObject)pdb.DeepClone();
            var newStatus = updated["status"] as JsonObject ?? new JsonObject();
            updated["status"] = newStatus;
            newStatus["disruptionsAllowed"] = allowed - 1;
            var now = ObjectMeta.FormatTime(time.GetUtcNow());
            if (allowed - 1 == 0) DisruptionAllowedCondition.Set(newStatus, false, now);
            var pods = newStatus["disruptedPods"] as JsonObject ?? new JsonObject();
            newStatus["disruptedPods"] = pods;
            pods[podName] = now;
            try
            {
                await store.UpdateAsync(def, ns, name, updated, new WriteOptions { Subresource = "status", FieldManager = "kube-apiserver" }, ct).ConfigureAwait(false);
                return;
            }
            catch (StatusError e) when (e.Code == 409 && attempt < MaxAttempts)
            {
                pdb = await store.GetAsync(def, ns, name, ct).ConfigureAwait(false);
            }
            catch (StatusError e) when (e.Code == 409)
            {
                throw StatusError.Timeout($"couldn't update PodDisruptionBudget {GoQuote.Quote(name)} due to conflicts");
            }
        }
    }

    private static StatusError StillProcessing(string pdbName) =>
        new(429, "TooManyRequests", ViolationMessage)
        {
            RetryAfterSeconds = 10,
            Causes = [new StatusCause("DisruptionBudget", $"The disruption budget {pdbName} is still being processed by the server.")],
        };

    private ResourceDefinition PdbDefinition() =>
        catalog.Find("policy", "v1", "poddisruptionbudgets") ?? throw StatusError.InternalError("poddisruptionbudgets are not served");

    private static bool CanIgnorePdb(JsonObject pod) =>
        JsonRead.Str(pod["status"]?["phase"]) is "Succeeded" or "Failed" or "Pending" || ObjectMeta.IsDeleting(pod);

    private static bool ShouldEnforceResourceVersion(JsonObject pod) =>
        JsonRead.Str(pod["status"]?["phase"]) is not ("Succeeded" or "Failed") && !ObjectMeta.IsDeleting(pod);

    public static bool IsPodReady(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => JsonRead.Str(c["type"]) == "Ready" && JsonRead.Str(c["status"]) == "True");

    /// <summary>The eviction's deleteOptions as the store takes them; dryRun from the request applies when the body names none.</summary>
    private static DeleteOptions ParseDeleteOptions(JsonObject? obj, bool requestDryRun)
    {
        long? grace = null;
        if (obj?["gracePeriodSeconds"] is { } g)
        {
            grace = JsonRead.Int(g) ?? throw StatusError.BadRequest("Eviction in version \"v1\" cannot be handled as a Eviction: json: cannot unmarshal into Go struct field DeleteOptions.deleteOptions.gracePeriodSeconds of type int64");
        }
        var policyText = JsonRead.Str(obj?["propagationPolicy"]) ?? "";
        PropagationPolicy? policy = policyText switch
        {
            "" => null,
            "Background" => PropagationPolicy.Background,
            "Foreground" => PropagationPolicy.Foreground,
            "Orphan" => PropagationPolicy.Orphan,
            _ => throw StatusError.Invalid(new GroupVersionKind("meta.k8s.io", "v1", "DeleteOptions"), "",
                [FieldError.NotSupported("propagationPolicy", policyText, ["Foreground", "Background", "Orphan", "nil"])]),
        };
        if (policy == null && JsonRead.Bool(obj?["orphanDependents"]) is { } orphan)
            policy = orphan ? PropagationPolicy.Orphan : PropagationPolicy.Background;
        var bodyDryRun = obj?["dryRun"] is JsonArray dr && dr.Any(v => JsonRead.Str(v) == "All");
        return new DeleteOptions
        {
            GracePeriodSeconds = grace,
            Propagation = policy,
            PreconditionUid = JsonRead.Str(obj?["preconditions"]?["uid"]),
            PreconditionResourceVersion = JsonRead.Str(obj?["preconditions"]?["resourceVersion"]),
            DryRun = bodyDryRun || requestDryRun,
        };
    }
}
