using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry.Core;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Apps;

/// <summary>Shared apps/v1 checks: selector vs template (ValidatePodTemplateSpecForReplicaSet) and replica status counts.</summary>
internal static class ReplicaSetValidation
{
    /// <summary>Selector required, valid, non-empty; template matches it and is a valid always-restarting pod template.</summary>
    public static List<FieldError> ValidateSelectorAndTemplate(JsonObject spec, string path)
    {
        var errs = new List<FieldError>();
        var selector = spec["selector"];
        if (IsUnset(selector)) errs.Add(FieldError.Required(path + ".selector"));
        else
        {
            errs.AddRange(LabelValidation.ValidateLabelSelector(selector, path + ".selector"));
            if (LabelValidation.IsEmptySelector(selector))
                errs.Add(FieldError.Invalid(path + ".selector", LabelValidation.GoLabelSelector(selector), "empty selector is invalid for deployment"));
        }
        var template = Child(spec, "template") ?? new JsonObject();
        var labels = Child(template, "metadata")?["labels"];
        // A missing selector selects nothing; an empty one everything (LabelSelectorAsSelector).
        if (IsUnset(selector) || !LabelValidation.IsEmptySelector(selector) && !LabelValidation.Matches(selector, labels))
            errs.Add(FieldError.Invalid(path + ".template.metadata.labels", GoFormat.StringMap(labels), "`selector` does not match template `labels`"));
        errs.AddRange(PodSpecValidation.ValidatePodTemplateSpec(template, path + ".template"));
        var podSpec = Child(template, "spec");
        var restart = Str(podSpec?["restartPolicy"]) ?? "";
        if (restart != "Always") errs.Add(FieldError.NotSupported(path + ".template.spec.restartPolicy", restart, ["Always"]));
        if (Int(podSpec?["activeDeadlineSeconds"]) is { } ads)
            errs.Add(FieldError.Invalid(path + ".template.spec.activeDeadlineSeconds", ads, "activeDeadlineSeconds in ReplicaSet is not Supported"));
        return errs;
    }

    /// <summary>Non-negative counts, and none above <c>status.replicas</c> / <c>readyReplicas</c>.</summary>
    public static List<FieldError> ValidateReplicaStatus(JsonObject? status, IEnumerable<string> boundedByReplicas)
    {
        var errs = new List<FieldError>();
        status ??= new JsonObject();
        foreach (var (key, value) in status)
            if (key is "observedGeneration" or "replicas" or "updatedReplicas" or "readyReplicas" or "availableReplicas" or "unavailableReplicas"
                or "fullyLabeledReplicas" or "collisionCount" or "terminatingReplicas")
                errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(value), "status." + key));
        var replicas = Int(status["replicas"]) ?? 0;
        foreach (var key in boundedByReplicas)
            if (Int(status[key]) is { } v && v > replicas)
                errs.Add(FieldError.Invalid("status." + key, v, "cannot be greater than status.replicas"));
        if ((Int(status["availableReplicas"]) ?? 0) > (Int(status["readyReplicas"]) ?? 0))
            errs.Add(FieldError.Invalid("status.availableReplicas", Int(status["availableReplicas"]) ?? 0, "cannot be greater than readyReplicas"));
        return errs;
    }
}
