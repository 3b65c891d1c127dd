using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry.Core;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Apps;

/// <summary>apps/v1 ReplicaSet (pkg/registry/apps/replicaset/strategy.go).</summary>
public sealed class ReplicaSetStrategy : BuiltinStrategy
{
    public static readonly ReplicaSetStrategy Instance = new();

    public override bool HasStatus => true;
    public override bool UsesGeneration => true;

    public override void Default(JsonObject obj)
    {
        var spec = Object(obj, "spec");
        Int(spec, "replicas", 1);
        PodSpecDefaults.DefaultPodTemplate(Object(spec, "template"));
    }

    // ReplicaSetStatus.replicas is not omitempty, so a new object shows it as 0.
    protected override JsonObject? InitialStatus(JsonObject obj) => new() { ["replicas"] = Number(0) };

    public override IEnumerable<FieldError> Validate(JsonObject obj) => ValidateSpec(Child(obj, "spec") ?? new JsonObject());

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        var errs = ValidateSpec(Child(obj, "spec") ?? new JsonObject());
        errs.AddRange(DeploymentStrategy.ImmutableSelector(obj, old));
        return errs;
    }

    static List<FieldError> ValidateSpec(JsonObject spec)
    {
        var errs = new List<FieldError>();
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec["replicas"]), "spec.replicas"));
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec["minReadySeconds"]) ?? 0, "spec.minReadySeconds"));
        errs.AddRange(ReplicaSetValidation.ValidateSelectorAndTemplate(spec, "spec"));
        return errs;
    }

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old) =>
        ReplicaSetValidation.ValidateReplicaStatus(Child(obj, "status"), ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"]);
}
