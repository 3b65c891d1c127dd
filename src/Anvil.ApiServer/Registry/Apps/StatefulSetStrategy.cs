using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry.Core;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Apps;

/// <summary>apps/v1 StatefulSet: defaults (including claim templates) and the main create/update rules.</summary>
public sealed class StatefulSetStrategy : BuiltinStrategy
{
    public static readonly StatefulSetStrategy Instance = new();

    static readonly string[] UpdatableFields = ["replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"];

    public override bool HasStatus => true;
    public override bool UsesGeneration => true;

    public override void Default(JsonObject obj)
    {
        var spec = Object(obj, "spec");
        String(spec, "podManagementPolicy", "OrderedReady");
        var strategy = Object(spec, "updateStrategy");
        if (IsUnsetString(strategy["type"]))
        {
            strategy["type"] = "RollingUpdate";
            Object(strategy, "rollingUpdate");
        }
        if (Str(strategy["type"]) == "RollingUpdate" && Child(strategy, "rollingUpdate") is { } ru) Int(ru, "partition", 0);
        var retention = Object(spec, "persistentVolumeClaimRetentionPolicy");
        String(retention, "whenDeleted", "Retain");
        String(retention, "whenScaled", "Retain");
        Int(spec, "replicas", 1);
        Int(spec, "revisionHistoryLimit", 10);
        PodSpecDefaults.DefaultPodTemplate(Object(spec, "template"));
        foreach (var claim in Items(spec, "volumeClaimTemplates"))
        {
            // Claim templates are whole PersistentVolumeClaims: typed serialization adds these.
            String(claim, "apiVersion", "v1");
            String(claim, "kind", "PersistentVolumeClaim");
            PodSpecDefaults.DefaultTemplateMetadata(claim);
            PersistentVolumeClaimStrategy.Instance.Default(claim);
            String(Object(claim, "status"), "phase", "Pending");
        }
    }

    // StatefulSetStatus.replicas and availableReplicas are not omitempty.
    protected override JsonObject? InitialStatus(JsonObject obj) => new() { ["availableReplicas"] = Number(0), ["replicas"] = Number(0) };

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec") ?? new JsonObject();
        var errs = new List<FieldError>();
        var policy = Str(spec["podManagementPolicy"]) ?? "";
        if (policy is not ("OrderedReady" or "Parallel"))
            errs.Add(FieldError.Invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"));
        var strategy = Child(spec, "updateStrategy") ?? new JsonObject();
        switch (Str(strategy["type"]) ?? "")
        {
            case "":
                errs.Add(FieldError.Required("spec.updateStrategy", ""));
                break;
            case "OnDelete":
                if (!IsUnset(strategy["rollingUpdate"]))
                    errs.Add(FieldError.Invalid("spec.updateStrategy.rollingUpdate", new GoValue("(*apps.RollingUpdateStatefulSetStrategy)(nil)"), "only allowed for updateStrategy 'RollingUpdate'"));
                break;
            case "RollingUpdate":
                errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(strategy["rollingUpdate"]?["partition"]), "spec.updateStrategy.rollingUpdate.partition"));
                break;
            default:
                errs.Add(FieldError.Invalid("spec.updateStrategy", Str(strategy["type"]), "must be 'RollingUpdate' or 'OnDelete'"));
                break;
        }
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec["replicas"]), "spec.replicas"));
        errs.AddRange(ObjectMetaValidation.ValidateNonnegative(Int(spec["minReadySeconds"]), "spec.minReadySeconds"));
        errs.AddRange(ReplicaSetValidation.ValidateSelectorAndTemplate(spec, "spec"));
        return errs;
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        var errs = Validate(obj).ToList();
        var a = (Child(obj, "spec") ?? new JsonObject()).DeepClone().AsObject();
        var b = (Child(old, "spec") ?? new JsonObject()).DeepClone().AsObject();
        foreach (var f in UpdatableFields)
        {
            a.Remove(f);
            b.Remove(f);
        }
        if (!JsonNode.DeepEquals(a, b))
            errs.Add(FieldError.Forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
        return errs;
    }

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old) =>
        ReplicaSetValidation.ValidateReplicaStatus(Child(obj, "status"), ["readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"]);
}
