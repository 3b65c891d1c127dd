using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.Disruption;

/// <summary>A PodDisruptionBudget status's DisruptionAllowed condition, written by the disruption controller and by eviction.</summary>
public static class DisruptionAllowedCondition
{
    /// <summary>True/SufficientPods or False/InsufficientPods; the transition time moves only when the status changes.</summary>
    public static void Set(JsonObject status, bool allowed, string now)
    {
        var conditions = status["conditions"] as JsonArray ?? new JsonArray();
        status["conditions"] = conditions;
        var value = allowed ? "True" : "False";
        var condition = new JsonObject
        {
            ["type"] = "DisruptionAllowed",
            ["status"] = value,
            ["observedGeneration"] = JsonRead.Int(status["observedGeneration"]) ?? 0,
            ["lastTransitionTime"] = now,
            ["reason"] = allowed ? "SufficientPods" : "InsufficientPods",
            ["message"] = "",
        };
        for (var i = 0; i < conditions.Count; i++)
        {
            if (conditions[i] is not JsonObject old || JsonRead.Str(old["type"]) != "DisruptionAllowed") continue;
            if (JsonRead.Str(old["status"]) == value && old["lastTransitionTime"] is { } t) condition["lastTransitionTime"] = t.DeepClone();
            conditions[i] = condition;
            return;
        }
        conditions.Add(condition);
    }
}
