using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Serialization;
using Anvil.Machinery.Validation;
using Anvil.Storage;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>
/// POST pods/{name}/binding (pkg/registry/core/pod/storage BindingREST): assigns an unbound pod to a node
/// with a guaranteed update at the storage level, as upstream does (no pod strategy runs: spec.nodeName is
/// otherwise immutable). The pod must not be bound already, not be deleting and have no scheduling gates;
/// condition PodScheduled becomes True. Answers 201 with a Success Status.
/// </summary>
public sealed class PodBindingRest(ResourceStore store, TimeProvider time)
{
    private const int MaxAttempts = 16;
    private static readonly GroupResource BindingResource = new("", "pods/binding");

    public async Task<JsonObject> CreateAsync(ResourceDefinition pods, string ns, string name, JsonObject binding, WriteOptions options, CancellationToken ct)
    {
        CheckTypeMeta(binding, "v1", "Binding");
        if (ObjectMeta.Name(binding) != name) throw StatusError.BadRequest("name in URL does not match name in Binding object");
        if (ObjectMeta.Namespace(binding) is { Length: > 0 } bodyNs && bodyNs != ns)
            throw StatusError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        var target = binding["target"] as JsonObject;
        var targetKind = JsonRead.Str(target?["kind"]) ?? "";
        var node = JsonRead.Str(target?["name"]) ?? "";
        var errors = new List<FieldError>();
        if (targetKind.Length > 0 && targetKind != "Node") errors.Add(FieldError.NotSupported("target.kind", targetKind, ["Node", "<empty>"]));
        if (node.Length == 0) errors.Add(FieldError.Required("target.name"));
        // Upstream returns the aggregate as a plain error, which reaches clients as a 500 without a reason.
        if (errors.Count > 0)
            throw new StatusError(500, "", errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors) + "]");

        var uidPrecondition = ObjectMeta.Uid(binding);
        var rvPrecondition = ObjectMeta.ResourceVersion(binding);
        var annotations = ObjectMeta.Annotations(binding);
        var key = pods.Key(ns, name);
        for (var attempt = 0; ; attempt++)
        {
            var kv = await store.Storage.GetAsync(key, ct).ConfigureAwait(false) ?? throw StatusError.NotFound(pods.GroupResource, name);
            var pod = ResourceStore.Decode(kv);
            if (uidPrecondition.Length > 0 && uidPrecondition != ObjectMeta.Uid(pod))
                throw StatusError.Conflict(pods.GroupResource, name, $"Precondition failed: UID in precondition: {uidPrecondition}, UID in object meta: {ObjectMeta.Uid(pod)}");
            if (rvPrecondition.Length > 0 && rvPrecondition != ObjectMeta.ResourceVersion(pod))
                throw StatusError.Conflict(pods.GroupResource, name, $"Precondition failed: ResourceVersion in precondition: {rvPrecondition}, ResourceVersion in object meta: {ObjectMeta.ResourceVersion(pod)}");
            Assign(pod, name, node, annotations, ObjectMeta.FormatTime(time.GetUtcNow()));
            if (options.DryRun) return SuccessStatus();
            var meta = ObjectMeta.Of(pod);
            meta.Remove("resourceVersion");
            try
            {
                await store.Storage.UpdateAsync(key, KubeJson.ToBytes(pod), kv.ModRevision, ct).ConfigureAwait(false);
                return SuccessStatus();
            }
            catch (RevisionConflictException) when (attempt < MaxAttempts && rvPrecondition.Length == 0)
            {
                // Another writer got there first: read again and re-check.
            }
            catch (RevisionConflictException)
            {
                throw StatusError.OptimisticLock(pods.GroupResource, name);
            }
            catch (KeyNotFoundException)
            {
                throw StatusError.NotFound(pods.GroupResource, name);
            }
        }
    }

    /// <summary>The body of upstream's guaranteed update: refuses deleting, bound and gated pods.</summary>
    internal static void Assign(JsonObject pod, string name, string node, JsonObject? annotations, string now)
    {
        if (ObjectMeta.IsDeleting(pod))
            throw StatusError.Conflict(BindingResource, name, $"pod {name} is being deleted, cannot be assigned to a host");
        var spec = pod["spec"] as JsonObject ?? new JsonObject();
        pod["spec"] = spec;
        if (JsonRead.Str(spec["nodeName"]) is { Length: > 0 } current)
            throw StatusError.Conflict(BindingResource, name, $"pod {name} is already assigned to node {GoQuote.Quote(current)}");
        if (spec["schedulingGates"] is JsonArray { Count: > 0 })
            throw StatusError.Conflict(BindingResource, name, $"pod {name} has non-empty .spec.schedulingGates");
        spec["nodeName"] = node;
        if (annotations is { Count: > 0 })
        {
            var meta = ObjectMeta.Of(pod);
            var target = meta["annotations"] as JsonObject ?? new JsonObject();
            meta["annotations"] = target;
            foreach (var (k, v) in annotations) target[k] = v?.DeepClone();
        }
        SetPodCondition(pod, "PodScheduled", "True", null, null, now);
    }

    /// <summary>podutil.UpdatePodCondition: replaces the condition of that type; the transition time moves only when the status changes.</summary>
    internal static void SetPodCondition(JsonObject pod, string type, string status, string? reason, string? message, string now)
    {
        var podStatus = pod["status"] as JsonObject ?? new JsonObject();
        pod["status"] = podStatus;
        var conditions = podStatus["conditions"] as JsonArray ?? new JsonArray();
        podStatus["conditions"] = conditions;
        var condition = new JsonObject { ["type"] = type, ["status"] = status, ["lastProbeTime"] = null, ["lastTransitionTime"] = now };
        if (reason != null) condition["reason"] = reason;
        if (message != null) condition["message"] = message;
        for (var i = 0; i < conditions.Count; i++)
        {
            if (conditions[i] is not JsonObject old || JsonRead.Str(old["type"]) != type) continue;
            if (JsonRead.Str(old["status"]) == status && old["lastTransitionTime"] is { } t) condition["lastTransitionTime"] = t.DeepClone();
            conditions[i] = condition;
            return;
        }
        conditions.Add(condition);
    }

    internal static void CheckTypeMeta(JsonObject obj, string apiVersion, string kind)
    {
        if (JsonRead.Str(obj["apiVersion"]) is { Length: > 0 } av && av != apiVersion)
            throw StatusError.BadRequest($"the API version in the data ({av}) does not match the expected API version ({apiVersion})");
        if (JsonRead.Str(obj["kind"]) is { Length: > 0 } k && k != kind)
            throw StatusError.BadRequest($"the kind in the data ({k}) does not match the expected kind ({kind})");
    }

    /// <summary>The Status a named create of a subresource answers with (code 201 in the body, as upstream).</summary>
    internal static JsonObject SuccessStatus() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["code"] = 201,
    };
}
