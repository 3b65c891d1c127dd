using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.ApiServer.Registry.Core;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Apps;

/// <summary>apps/v1 Deployment (pkg/registry/apps/deployment/strategy.go, apps/v1 defaults).</summary>
public sealed partial class DeploymentStrategy : BuiltinStrategy
{
    public static readonly DeploymentStrategy Instance = new();

    public override bool HasStatus => true;
    public override bool UsesGeneration => true;

    [GeneratedRegex("^[0-9]+%$")] private static partial Regex PercentRegex();

    public override void Default(JsonObject obj)
    {
        var spec = Object(obj, "spec");
        Int(spec, "replicas", 1);
        var strategy = Object(spec, "strategy");
        String(strategy, "type", "RollingUpdate");
        if (Str(strategy["type"]) == "RollingUpdate")
        {
            var ru = Object(strategy, "rollingUpdate");
            Value(ru, "maxUnavailable", "25%");
            Value(ru, "maxSurge", "25%");
        }
        Int(spec, "revisionHistoryLimit", 10);
        Int(spec, "progressDeadlineSeconds", 600);
        PodSpecDefaults.DefaultPodTemplate(Object(spec, "template"));
    }

    protected override JsonObject? InitialStatus(JsonObject obj) => new();

    // Annotations are copied to replica sets, so changing them is a new generation too.
    protected override bool SpecChanged(JsonObject obj, JsonObject old) =>
        base.SpecChanged(obj, old) || !JsonNode.DeepEquals(obj["metadata"]?["annotations"], old["metadata"]?["annotations"]);

    public override IEnumerable<FieldError> Validate(JsonObject obj) => ValidateSpec(Child(obj, "spec") ?? new JsonObject());

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        var errs = ValidateSpec(Child(obj, "spec") ?? new JsonObject());
        errs.AddRange(ImmutableSelector(obj, old));
        return errs;
    }

    /// <summary>spec.selector may not change in apps/v1 (only the old beta groups allowed it).</summary>
    internal static IEnumerable<FieldError> ImmutableSelector(JsonObject obj, JsonObject old)
    {
        var n = obj["spec"]?["selector"];
        var o = old["spec"]?["selector"];
        if (!JsonNode.DeepEquals(n, o))
            yield return FieldError.Invalid("spec.selector", LabelValidation.GoLabelSelector(n), ObjectMetaValidation.FieldImmutableErrorMsg);
    }

    static List<FieldError> ValidateSpec(JsonObject spec)
    {
        var errs = new List<FieldError>();
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec["replicas"]), "spec.replicas"));
        errs.AddRange(ReplicaSetValidation.ValidateSelectorAndTemplate(spec, "spec"));
        errs.AddRange(ValidateStrategy(Child(spec, "strategy") ?? new JsonObject(), "spec.strategy"));
        var minReady = Int(spec["minReadySeconds"]) ?? 0;
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(minReady, "spec.minReadySeconds"));
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec["revisionHistoryLimit"]), "spec.revisionHistoryLimit"));
        if (Int(spec["progressDeadlineSeconds"]) is { } pds)
        {
            errs.AddRange(ObjectMetaValidation.ValidateNonnegative(pds, "spec.progressDeadlineSeconds"));
            if (pds <= minReady) errs.Add(FieldError.Invalid("spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds"));
        }
        return errs;
    }

    static IEnumerable<FieldError> ValidateStrategy(JsonObject strategy, string path)
    {
        switch (Str(strategy["type"]))
        {
            case "Recreate":
                if (!IsUnset(strategy["rollingUpdate"]))
                    yield return FieldError.Forbidden(path + ".rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
                break;
            case "RollingUpdate":
                if (Child(strategy, "rollingUpdate") is not { } ru)
                {
                    yield return FieldError.Required(path + ".rollingUpdate", "this should be defaulted and never be nil");
                    break;
                }
                foreach (var e in ValidatePositiveIntOrPercent(ru["maxUnavailable"], path + ".rollingUpdate.maxUnavailable")) yield return e;
                foreach (var e in ValidatePositiveIntOrPercent(ru["maxSurge"], path + ".rollingUpdate.maxSurge")) yield return e;
                if ((GoFormat.IntOrPercent(ru["maxUnavailable"])?.Value ?? 0) == 0 && (GoFormat.IntOrPercent(ru["maxSurge"])?.Value ?? 0) == 0)
                    yield return FieldError.Invalid(path + ".rollingUpdate.maxUnavailable", GoFormat.IntOrString(ru["maxUnavailable"]), "may not be 0 when `maxSurge` is 0");
                if (GoFormat.IntOrPercent(ru["maxUnavailable"]) is { IsPercent: true, Value: > 100 })
                    yield return FieldError.Invalid(path + ".rollingUpdate.maxUnavailable", GoFormat.IntOrString(ru["maxUnavailable"]), "must not be greater than 100%");
                break;
            default:
                var ru2 = IsUnset(strategy["rollingUpdate"]) ? "(*apps.RollingUpdateDeployment)(nil)" : "(*apps.RollingUpdateDeployment)(0xc000000000)";
                yield return FieldError.NotSupported(path,
                    new GoValue($"apps.DeploymentStrategy{{Type:{GoQuote.Quote(Str(strategy["type"]) ?? "")}, RollingUpdate:{ru2}}}"), ["Recreate", "RollingUpdate"]);
                break;
        }
    }

    internal static IEnumerable<FieldError> ValidatePositiveIntOrPercent(JsonNode? value, string path)
    {
        if (Str(value) is { } s)
        {
            if (!PercentRegex().IsMatch(s))
                yield return FieldError.Invalid(path, GoFormat.IntOrString(value),
                    NameValidation.RegexError("a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", "1%", "93%"));
        }
        else foreach (var e in ObjectMetaValidation.ValidateNonnegative(Int(value), path)) yield return e;
    }

    public override void PrepareForStatusUpdate(JsonObject obj, JsonObject old)
    {
        base.PrepareForStatusUpdate(obj, old);
        // The deployment status subresource also resets labels.
        var meta = Meta(obj);
        if (old["metadata"]?["labels"] is { } labels) meta["labels"] = labels.DeepClone();
        else meta.Remove("labels");
    }

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old) =>
        ReplicaSetValidation.ValidateReplicaStatus(Child(obj, "status"), ["updatedReplicas", "readyReplicas", "availableReplicas"]);
}
