using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry.Apps;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Policy;

/// <summary>policy/v1 PodDisruptionBudget.</summary>
public sealed class PodDisruptionBudgetStrategy : BuiltinStrategy
{
    public static readonly PodDisruptionBudgetStrategy Instance = new();

    public override bool HasStatus => true;
    public override bool UsesGeneration => true;

    // The four counters are not omitempty.
    protected override JsonObject? InitialStatus(JsonObject obj) => new()
    {
        ["currentHealthy"] = Number(0), ["desiredHealthy"] = Number(0), ["disruptionsAllowed"] = Number(0), ["expectedPods"] = Number(0),
    };

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec") ?? new JsonObject();
        if (!IsUnset(spec["minAvailable"]) && !IsUnset(spec["maxUnavailable"]))
            yield return FieldError.Invalid("spec", new GoValue("policy.PodDisruptionBudgetSpec{...}"), "minAvailable and maxUnavailable cannot be both set");
        foreach (var key in (string[])["minAvailable", "maxUnavailable"])
        {
            if (IsUnset(spec[key])) continue;
            foreach (var e in DeploymentStrategy.ValidatePositiveIntOrPercent(spec[key], "spec." + key)) yield return e;
            if (GoFormat.IntOrPercent(spec[key]) is { IsPercent: true, Value: > 100 })
                yield return FieldError.Invalid("spec." + key, GoFormat.IntOrString(spec[key]), "must not be greater than 100%");
        }
        foreach (var e in LabelValidation.ValidateLabelSelector(spec["selector"], "spec.selector")) yield return e;
        if (Str(spec["unhealthyPodEvictionPolicy"]) is { } policy && policy is not ("AlwaysAllow" or "IfHealthyBudget"))
            yield return FieldError.NotSupported("spec.unhealthyPodEvictionPolicy", policy, ["AlwaysAllow", "IfHealthyBudget"]);
    }

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old)
    {
        var status = Child(obj, "status") ?? new JsonObject();
        foreach (var f in (string[])["disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"])
            foreach (var e in ObjectMetaValidation.ValidateNonnegative(Int(status[f]), "status." + f)) yield return e;
    }
}
