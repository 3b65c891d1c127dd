using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>core/v1 PersistentVolumeClaim (ValidatePersistentVolumeClaimSpec). New claims start Pending.</summary>
public sealed class PersistentVolumeClaimStrategy : BuiltinStrategy
{
    public static readonly PersistentVolumeClaimStrategy Instance = new();

    static readonly string[] AccessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

    public override bool HasStatus => true;

    public override void Default(JsonObject obj)
    {
        String(Object(obj, "spec"), "volumeMode", "Filesystem");
        var resources = Object(Object(obj, "spec"), "resources");
        QuantityValidation.CanonicalizeList(resources["requests"]);
        QuantityValidation.CanonicalizeList(resources["limits"]);
        QuantityValidation.CanonicalizeList(obj["status"]?["capacity"]);
    }

    protected override JsonObject? InitialStatus(JsonObject obj) => new() { ["phase"] = "Pending" };

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec") ?? new JsonObject();
        var modes = Arr(spec["accessModes"]) ?? [];
        if (modes.Count == 0) yield return FieldError.Required("spec.accessModes", "at least 1 access mode is required");
        foreach (var e in LabelValidation.ValidateLabelSelector(spec["selector"], "spec.selector")) yield return e;
        foreach (var m in modes)
            if (!AccessModes.Contains(Str(m))) yield return FieldError.NotSupported("spec.accessModes", Str(m) ?? "", AccessModes);
        var storage = spec["resources"]?["requests"]?["storage"];
        if (storage == null) yield return FieldError.Required("spec.resources[storage]");
        else if (!QuantityValidation.TryParse(QuantityValidation.Text(storage), out var v, out var c))
            yield return FieldError.Invalid("spec.resources[storage]", QuantityValidation.Text(storage) ?? "", QuantityValidation.ParseErrorMsg);
        else if (v <= 0) yield return FieldError.Invalid("spec.resources[storage]", c, "must be greater than zero");
        if (Str(spec["storageClassName"]) is { Length: > 0 } sc)
            foreach (var m in NameValidation.IsDns1123Subdomain(sc)) yield return FieldError.Invalid("spec.storageClassName", sc, m);
        if (Str(spec["volumeMode"]) is { } vm && vm is not ("Block" or "Filesystem"))
            yield return FieldError.NotSupported("spec.volumeMode", vm, ["Block", "Filesystem"]);
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        foreach (var e in Validate(obj)) yield return e;
        var spec = (Child(obj, "spec") ?? new JsonObject()).DeepClone().AsObject();
        var oldSpec = (Child(old, "spec") ?? new JsonObject()).DeepClone().AsObject();
        // Binding may set volumeName once; requests and the attributes class may change.
        if (IsUnsetString(oldSpec["volumeName"]))
        {
            if (spec["volumeName"] is { } vn) oldSpec["volumeName"] = vn.DeepClone();
            else oldSpec.Remove("volumeName");
        }
        var bound = Str(old["status"]?["phase"]) == "Bound";
        if (bound)
        {
            if (QuantityValidation.TryParse(QuantityValidation.Text(spec["resources"]?["requests"]?["storage"]), out var n, out _)
                && QuantityValidation.TryParse(QuantityValidation.Text(oldSpec["resources"]?["requests"]?["storage"]), out var o, out _) && n < o)
                yield return FieldError.Forbidden("spec.resources.requests.storage", "field can not be less than status.capacity");
            foreach (var s in new[] { spec, oldSpec }) (s["resources"] as JsonObject)?.Remove("requests");
        }
        foreach (var s in new[] { spec, oldSpec }) s.Remove("volumeAttributesClassName");
        if (!JsonNode.DeepEquals(spec, oldSpec))
            yield return FieldError.Forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n");
    }
}
