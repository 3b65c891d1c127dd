using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry.Core;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Apps;

/// <summary>apps/v1 DaemonSet: defaults and the selector/template rules shared with ReplicaSet.</summary>
public sealed class DaemonSetStrategy : BuiltinStrategy
{
    public static readonly DaemonSetStrategy Instance = new();

    public override bool HasStatus => true;
    public override bool UsesGeneration => true;

    public override void Default(JsonObject obj)
    {
        var spec = Object(obj, "spec");
        var strategy = Object(spec, "updateStrategy");
        String(strategy, "type", "RollingUpdate");
        if (Str(strategy["type"]) == "RollingUpdate")
        {
            var ru = Object(strategy, "rollingUpdate");
            Value(ru, "maxUnavailable", Number(1));
            Value(ru, "maxSurge", Number(0));
        }
        Int(spec, "revisionHistoryLimit", 10);
        PodSpecDefaults.DefaultPodTemplate(Object(spec, "template"));
    }

    // The four counters of DaemonSetStatus are not omitempty.
    protected override JsonObject? InitialStatus(JsonObject obj) => new()
    {
        ["currentNumberScheduled"] = Number(0), ["desiredNumberScheduled"] = Number(0), ["numberMisscheduled"] = Number(0), ["numberReady"] = Number(0),
    };

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec") ?? new JsonObject();
        var errs = ReplicaSetValidation.ValidateSelectorAndTemplate(spec, "spec");
        var strategy = Child(spec, "updateStrategy") ?? new JsonObject();
        switch (Str(strategy["type"]))
        {
            case "OnDelete":
                break;
            case "RollingUpdate":
                var ru = Child(strategy, "rollingUpdate") ?? new JsonObject();
                errs.AddRange(DeploymentStrategy.ValidatePositiveIntOrPercent(ru["maxUnavailable"], "spec.updateStrategy.rollingUpdate.maxUnavailable"));
                errs.AddRange(DeploymentStrategy.ValidatePositiveIntOrPercent(ru["maxSurge"], "spec.updateStrategy.rollingUpdate.maxSurge"));
                if ((GoFormat.IntOrPercent(ru["maxUnavailable"])?.Value ?? 0) == 0 && (GoFormat.IntOrPercent(ru["maxSurge"])?.Value ?? 0) == 0)
                    errs.Add(FieldError.Invalid("spec.updateStrategy.rollingUpdate.maxUnavailable", GoFormat.IntOrString(ru["maxUnavailable"]), "may not be 0 when `maxSurge` is 0"));
                break;
            default:
                errs.Add(FieldError.NotSupported("spec.updateStrategy", Str(strategy["type"]) ?? "", ["OnDelete", "RollingUpdate"]));
                break;
        }
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec["minReadySeconds"]), "spec.minReadySeconds"));
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec["revisionHistoryLimit"]), "spec.revisionHistoryLimit"));
        return errs;
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) =>
        Validate(obj).Concat(DeploymentStrategy.ImmutableSelector(obj, old));
}
