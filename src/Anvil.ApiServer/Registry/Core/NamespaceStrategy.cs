using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>core/v1 Namespace (pkg/registry/core/namespace/strategy.go). Cluster-scoped; no generation.</summary>
public sealed class NamespaceStrategy : BuiltinStrategy
{
    public static readonly NamespaceStrategy Instance = new();

    public const string MetadataNameLabel = "kubernetes.io/metadata.name";

    public override bool HasStatus => true;
    public override NameRule NameRule => NameRule.Dns1123Label;

    public override void Default(JsonObject obj)
    {
        var meta = Meta(obj);
        // SetDefaults_Namespace: the name label always mirrors the name.
        if (Str(meta["name"]) is { Length: > 0 } name) Object(meta, "labels")[MetadataNameLabel] = name;
        Object(obj, "spec");
        String(Object(obj, "status"), "phase", "Active");
    }

    protected override JsonObject? InitialStatus(JsonObject obj) => new() { ["phase"] = "Active" };

    /// <summary>A namespace stays while spec.finalizers (the namespace controller's "kubernetes") are pending.</summary>
    public override bool BlocksDeletion(JsonObject obj) => obj["spec"]?["finalizers"] is JsonArray { Count: > 0 };

    /// <summary>Deleting a namespace turns it Terminating until the namespace controller has emptied it.</summary>
    public override void PrepareForDelete(JsonObject obj) => Object(obj, "status")["phase"] = "Terminating";

    public override bool ReturnDeletedObject => true;

    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        var spec = Object(obj, "spec");
        if (spec["finalizers"] is not JsonArray finalizers)
            spec["finalizers"] = new JsonArray("kubernetes");
        else if (!finalizers.Any(f => Str(f) == "kubernetes"))
            finalizers.Add("kubernetes");
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(obj, old);
        // Finalizers change only through the /finalize subresource.
        var spec = Object(obj, "spec");
        if (old["spec"]?["finalizers"] is { } f) spec["finalizers"] = f.DeepClone();
        else spec.Remove("finalizers");
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        foreach (var f in Arr(obj["spec"]?["finalizers"]) ?? [])
        {
            var name = Str(f) ?? "";
            foreach (var m in NameValidation.IsQualifiedName(name)) yield return FieldError.Invalid("spec.finalizers", name, m);
            if (!name.Contains('/') && !ObjectMetaValidation.StandardFinalizers.Contains(name))
                yield return FieldError.Invalid("spec.finalizers", name, "name is neither a standard finalizer name nor is it fully qualified");
        }
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) => [];

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old)
    {
        var phase = Str(obj["status"]?["phase"]) ?? "";
        if (IsUnset(obj["metadata"]?["deletionTimestamp"]))
        {
            if (phase != "Active") yield return FieldError.Invalid("status.Phase", phase, "may only be 'Active' if `deletionTimestamp` is empty");
        }
        else if (phase != "Terminating")
            yield return FieldError.Invalid("status.Phase", phase, "may only be 'Terminating' if `deletionTimestamp` is not empty");
    }

    /// <summary>The /finalize subresource: only spec.finalizers comes from the request.</summary>
    public static void PrepareForFinalizeUpdate(JsonObject obj, JsonObject old)
    {
        var finalizers = obj["spec"]?["finalizers"]?.DeepClone();
        foreach (var (key, value) in old)
            if (key != "metadata") obj[key] = value?.DeepClone();
        var spec = Object(obj, "spec");
        if (finalizers != null) spec["finalizers"] = finalizers;
        else spec.Remove("finalizers");
    }
}
