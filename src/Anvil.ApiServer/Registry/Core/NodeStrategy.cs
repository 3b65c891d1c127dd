using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>core/v1 Node (pkg/registry/core/node/strategy.go). Cluster-scoped; nodes may set their status on create.</summary>
public sealed class NodeStrategy : BuiltinStrategy
{
    public static readonly NodeStrategy Instance = new();

    public override bool HasStatus => true;

    public override void Default(JsonObject obj)
    {
        QuantityValidation.CanonicalizeList(obj["status"]?["capacity"]);
        QuantityValidation.CanonicalizeList(obj["status"]?["allocatable"]);
        // SetDefaults_NodeStatus: allocatable defaults to capacity.
        if (Child(obj, "status") is { } status && IsUnset(status["allocatable"]) && status["capacity"] is JsonObject capacity)
            status["allocatable"] = capacity.DeepClone();
    }

    public override void PrepareForCreate(JsonObject obj) { }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec");
        // Upstream builds the taints path from "metadata" (validateNodeTaints(spec.taints, metadata.taints)).
        foreach (var e in PodSpecValidation.ValidateTaints(spec?["taints"], "metadata.taints")) yield return e;
        foreach (var (key, value) in Child(Child(obj, "status"), "capacity") ?? [])
            foreach (var e in PodSpecValidation.ValidateResourceQuantity(key, QuantityValidation.Text(value), $"status.capacity.{key}")) yield return e;
        foreach (var (key, value) in Child(Child(obj, "status"), "allocatable") ?? [])
            foreach (var e in PodSpecValidation.ValidateResourceQuantity(key, QuantityValidation.Text(value), $"status.allocatable.{key}")) yield return e;
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        foreach (var e in Validate(obj)) yield return e;
        var spec = Child(obj, "spec");
        var oldSpec = Child(old, "spec");
        if (Arr(oldSpec?["podCIDRs"]) is { Count: > 0 } oldCidrs && !JsonNode.DeepEquals(oldCidrs, spec?["podCIDRs"]))
            yield return FieldError.Forbidden("spec.podCIDRs", "node updates may not change podCIDR except from \"\" to valid");
        if (Str(oldSpec?["providerID"]) is { Length: > 0 } oldId && Str(spec?["providerID"]) != oldId)
            yield return FieldError.Forbidden("spec.providerID", "node updates may not change providerID except from \"\" to valid");
    }

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old) => Validate(obj);
}
