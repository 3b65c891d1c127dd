using System.Text;
using static Anvil.Machinery.Validation.JsonRead;
using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>core/v1 Pod (pkg/registry/core/pod/strategy.go). Pods carry no generation in 1.32.</summary>
public sealed class PodStrategy : BuiltinStrategy
{
    public static readonly PodStrategy Instance = new();

    /// <summary>The fields a pod update may change, as ValidatePodUpdate lists them (InPlacePodVerticalScaling off).</summary>
    public const string UpdatableFields =
        "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations)," +
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

    public override bool HasStatus => true;

    public override bool ReturnDeletedObject => true;

    /// <summary>pods/ephemeralcontainers has its own strategy (only spec.ephemeralContainers may change).</summary>
    public override ResourceStrategy? ForSubresource(string subresource) =>
        subresource == "ephemeralcontainers" ? PodEphemeralContainersStrategy.Instance : null;

    /// <summary>
    /// Pods bound to a node wait for their kubelet (spec.terminationGracePeriodSeconds, default 30);
    /// unbound or finished pods, and gracePeriodSeconds=0, go at once (pod strategy CheckGracefulDelete).
    /// </summary>
    public override long? GracefulDeletePeriod(JsonObject obj, long? requested)
    {
        if (Str(obj["spec"]?["nodeName"]) is not { Length: > 0 }) return 0;
        if (Str(obj["status"]?["phase"]) is "Succeeded" or "Failed") return 0;
        var period = requested ?? (obj["spec"]?["terminationGracePeriodSeconds"] is JsonValue v && v.TryGetValue<long>(out var t) ? t : 30);
        return period < 0 ? 1 : period;
    }

    public override void Default(JsonObject obj)
    {
        var spec = Object(obj, "spec");
        // SetDefaults_Pod: requests default to limits, per resource.
        foreach (var c in Items(spec, "containers").Concat(Items(spec, "initContainers")))
        {
            if (Child(Child(c, "resources"), "limits") is not { Count: > 0 } limits) continue;
            var requests = Object(Object(c, "resources"), "requests");
            foreach (var (name, q) in limits)
                if (!requests.ContainsKey(name)) requests[name] = q?.DeepClone();
        }
        Bool(spec, "enableServiceLinks", true);
        PodSpecDefaults.DefaultHostNetworkPorts(spec);
        PodSpecDefaults.DefaultPodSpec(spec);
    }

    protected override JsonObject? InitialStatus(JsonObject obj)
    {
        var spec = Child(obj, "spec");
        var status = new JsonObject { ["phase"] = "Pending" };
        if (Items(spec, "schedulingGates").Any())
            status["conditions"] = new JsonArray(new JsonObject
            {
                ["lastProbeTime"] = null,
                ["lastTransitionTime"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
                ["message"] = "Scheduling is blocked due to non-empty scheduling gates",
                ["reason"] = "SchedulingGated",
                ["status"] = "False",
                ["type"] = "PodScheduled",
            });
        status["qosClass"] = PodQos.Compute(spec);
        return status;
    }

    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        // Stand-in for the Priority admission plugin when no PriorityClass resolves the value.
        var spec = Object(obj, "spec");
        if (string.IsNullOrEmpty(JsonRead.Str(spec["priorityClassName"]))) Int(spec, "priority", 0);
        String(spec, "preemptionPolicy", "PreemptLowerPriority");
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec");
        var errs = PodSpecValidation.ValidatePodSpec(spec, "spec");
        // Ephemeral containers come only through their subresource; gated pods cannot be bound yet.
        if (Items(spec, "ephemeralContainers").Any()) errs.Add(FieldError.Forbidden("spec.ephemeralContainers", "cannot be set on create"));
        if (!string.IsNullOrEmpty(JsonRead.Str(spec?["nodeName"])) && Items(spec, "schedulingGates").Any())
            errs.Add(FieldError.Forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"));
        return errs;
    }

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old)
    {
        var i = 0;
        foreach (var c in Items(Child(obj, "status"), "conditions"))
        {
            var type = JsonRead.Str(c["type"]) ?? "";
            if (type is not ("PodScheduled" or "Ready" or "Initialized"))
                foreach (var m in NameValidation.IsQualifiedName(type)) yield return FieldError.Invalid($"metadata.conditions[{i}].Type", type, m);
            i++;
        }
        if (JsonRead.Str(obj["spec"]?["nodeName"]) != JsonRead.Str(old["spec"]?["nodeName"]))
            yield return FieldError.Forbidden("status.nodeName", "may not be changed directly");
        foreach (var e in ObjectMetaValidation.ValidateImmutableField(obj["status"]?["qosClass"], old["status"]?["qosClass"], "status.qosClass")) yield return e;
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        var errs = PodSpecValidation.ValidatePodSpec(Child(obj, "spec"), "spec");
        var spec = Child(obj, "spec") ?? new JsonObject();
        var oldSpec = Child(old, "spec") ?? new JsonObject();
        foreach (var list in (string[])["containers", "initContainers"])
        {
            var n = Items(spec, list).ToList();
            if (n.Count != Items(oldSpec, list).Count())
            {
                errs.Add(FieldError.Forbidden("spec." + list, "pod updates may not add or remove containers"));
                return errs;
            }
            for (var i = 0; i < n.Count; i++)
            {
                var image = JsonRead.Str(n[i]["image"]) ?? "";
                if (image.Length == 0) errs.Add(FieldError.Required($"spec.{list}[{i}].image"));
                if (image.Trim().Length != image.Length) errs.Add(FieldError.Invalid($"spec.{list}[{i}].image", image, "must not have leading or trailing whitespace"));
            }
        }
        var newAds = JsonRead.Int(spec["activeDeadlineSeconds"]);
        var oldAds = JsonRead.Int(oldSpec["activeDeadlineSeconds"]);
        if (newAds is { } na)
        {
            if (na < 0 || na > int.MaxValue)
            {
                errs.Add(FieldError.Invalid("spec.activeDeadlineSeconds", na, NameValidation.InclusiveRangeError(0, int.MaxValue)));
                return errs;
            }
            if (oldAds is { } oa && oa < na)
            {
                errs.Add(FieldError.Invalid("spec.activeDeadlineSeconds", na, "must be less than or equal to previous value"));
                return errs;
            }
        }
        else if (oldAds != null)
            errs.Add(FieldError.Invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"));

        errs.AddRange(ValidateOnlyAddedTolerations(spec["tolerations"] as JsonArray, oldSpec["tolerations"] as JsonArray));
        if (JsonNode.DeepEquals(spec, oldSpec)) return errs;

        var oldQos = JsonRead.Str(old["status"]?["qosClass"]) ?? PodQos.Compute(oldSpec);
        if (oldQos != PodQos.Compute(spec))
            errs.Add(FieldError.Invalid("metadata", JsonRead.Str(obj["status"]?["qosClass"]) ?? "", "Pod QoS is immutable"));

        // Munge the updatable fields back to their old values; whatever still differs is forbidden.
        var munged = (JsonObject)spec.DeepClone();
        foreach (var list in (string[])["containers", "initContainers"])
        {
            var oldItems = Items(oldSpec, list).ToList();
            var i = 0;
            foreach (var c in Items(munged, list))
            {
                if (oldItems[i]["image"] is { } img) c["image"] = img.DeepClone();
                else c.Remove("image");
                i++;
            }
        }
        CopyField(munged, oldSpec, "activeDeadlineSeconds");
        CopyField(munged, oldSpec, "schedulingGates");
        CopyField(munged, oldSpec, "tolerations");
        if (JsonRead.Int(oldSpec["terminationGracePeriodSeconds"]) is < 0 && JsonRead.Int(munged["terminationGracePeriodSeconds"]) == 1)
            CopyField(munged, oldSpec, "terminationGracePeriodSeconds");
        if (Items(oldSpec, "schedulingGates").Any())
        {
            // Gated pods may gain nodeSelector entries and affinity terms; compare those as old.
            CopyField(munged, oldSpec, "nodeSelector");
            CopyField(munged, oldSpec, "affinity");
        }
        if (!JsonNode.DeepEquals(munged, oldSpec))
            errs.Add(FieldError.Forbidden("spec", "pod updates may not change fields other than " + UpdatableFields + "\n" + SpecDiff(oldSpec, munged)));
        return errs;
    }

    static void CopyField(JsonObject target, JsonObject source, string key)
    {
        if (source[key] is { } v) target[key] = v.DeepClone();
        else target.Remove(key);
    }

    static IEnumerable<FieldError> ValidateOnlyAddedTolerations(JsonArray? newTolerations, JsonArray? oldTolerations)
    {
        foreach (var old in oldTolerations?.OfType<JsonObject>() ?? [])
        {
            var found = (newTolerations?.OfType<JsonObject>() ?? []).Any(n =>
            {
                var a = (JsonObject)old.DeepClone();
                var b = (JsonObject)n.DeepClone();
                a.Remove("tolerationSeconds");
                b.Remove("tolerationSeconds");
                return JsonNode.DeepEquals(a, b);
            });
            if (!found)
            {
                yield return FieldError.Forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds");
                yield break;
            }
        }
        foreach (var e in PodSpecValidation.ValidateTolerations(newTolerations, "spec.tolerations")) yield return e;
    }

    /// <summary>
    /// A short diff in the shape of go-cmp's output (kube-apiserver appends cmp.Diff of the Go structs, which
    /// cannot be reproduced byte for byte from JSON): one -/+ pair per changed top-level spec field.
    /// </summary>
    static string SpecDiff(JsonObject oldSpec, JsonObject newSpec)
    {
        var sb = new StringBuilder("  core.PodSpec{\n");
        foreach (var key in oldSpec.Select(p => p.Key).Union(newSpec.Select(p => p.Key)).ToList())
        {
            if (JsonNode.DeepEquals(oldSpec[key], newSpec[key])) continue;
            var field = char.ToUpperInvariant(key[0]) + key[1..];
            if (oldSpec[key] is { } o) sb.Append("- \t").Append(field).Append(": ").Append(o.ToJsonString()).Append(",\n");
            if (newSpec[key] is { } n) sb.Append("+ \t").Append(field).Append(": ").Append(n.ToJsonString()).Append(",\n");
        }
        return sb.Append("  }\n").ToString();
    }

    public override void PrepareForStatusUpdate(JsonObject obj, JsonObject old)
    {
        base.PrepareForStatusUpdate(obj, old);
        // Status updates may not change owner references or the deletion timestamp.
        var meta = Meta(obj);
        var oldMeta = Child(old, "metadata");
        foreach (var key in (string[])["ownerReferences", "deletionTimestamp"])
            if (oldMeta?[key] is { } v) meta[key] = v.DeepClone();
            else meta.Remove(key);
    }
}
