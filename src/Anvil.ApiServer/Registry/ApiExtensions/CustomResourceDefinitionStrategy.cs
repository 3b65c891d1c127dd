using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.ApiExtensions;

/// <summary>
/// apiextensions.k8s.io/v1 CustomResourceDefinition (apiextensions-apiserver registry and validation).
/// Conditions and acceptedNames are written by the naming/establishing controllers, not here.
/// </summary>
public sealed class CustomResourceDefinitionStrategy : BuiltinStrategy
{
    public static readonly CustomResourceDefinitionStrategy Instance = new();

    public override bool HasStatus => true;
    public override bool UsesGeneration => true;

    public override void Default(JsonObject obj)
    {
        var spec = Object(obj, "spec");
        var names = Object(spec, "names");
        var kind = Str(names["kind"]) ?? "";
        String(names, "singular", kind.ToLowerInvariant());
        if (kind.Length > 0) String(names, "listKind", kind + "List");
        if (IsUnset(spec["conversion"])) spec["conversion"] = new JsonObject { ["strategy"] = "None" };
        if (Child(Child(Child(spec, "conversion"), "webhook"), "clientConfig") is { } cc && Child(cc, "service") is { } svc)
            Int(svc, "port", 443);
    }

    protected override JsonObject? InitialStatus(JsonObject obj) => new()
    {
        ["acceptedNames"] = new JsonObject { ["kind"] = "", ["plural"] = "" },
        ["storedVersions"] = new JsonArray(),
    };

    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        AddStorageVersion(obj);
    }

    /// <summary>
    /// A CRD stays until its custom resources are deleted: the custom resource manager flips the Terminating
    /// condition to False (InstanceDeletionCompleted) when done, as upstream's customresourcecleanup finalizer does.
    /// </summary>
    public override bool BlocksDeletion(JsonObject obj) =>
        !Items(Child(obj, "status"), "conditions").Any(c => Str(c["type"]) == "Terminating" && Str(c["status"]) == "False");

    public override void PrepareForDelete(JsonObject obj)
    {
        var status = Object(obj, "status");
        var conditions = status["conditions"] as JsonArray ?? new JsonArray();
        status["conditions"] = conditions;
        if (conditions.OfType<JsonObject>().Any(c => Str(c["type"]) == "Terminating")) return;
        conditions.Add(new JsonObject
        {
            ["type"] = "Terminating",
            ["status"] = "True",
            ["lastTransitionTime"] = Anvil.Machinery.Meta.ObjectMeta.FormatTime(DateTimeOffset.UtcNow),
            ["reason"] = "InstanceDeletionInProgress",
            ["message"] = "CustomResource deletion is in progress",
        });
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(obj, old);
        AddStorageVersion(obj);
    }

    /// <summary>The current storage version is always among status.storedVersions.</summary>
    static void AddStorageVersion(JsonObject obj)
    {
        var storage = Items(Child(obj, "spec"), "versions").FirstOrDefault(v => Bool(v["storage"]) == true);
        if (storage == null) return;
        var stored = Object(obj, "status")["storedVersions"] as JsonArray;
        if (stored == null) obj["status"]!["storedVersions"] = stored = new JsonArray();
        var name = Str(storage["name"]) ?? "";
        if (!stored.Any(s => Str(s) == name)) stored.Add(name);
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec") ?? new JsonObject();
        var names = Child(spec, "names") ?? new JsonObject();
        var group = Str(spec["group"]) ?? "";
        var plural = Str(names["plural"]) ?? "";
        var name = Str(obj["metadata"]?["name"]) ?? "";
        if (name.Length > 0 && name != plural + "." + group)
            yield return FieldError.Invalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group");

        if (group.Length == 0) yield return FieldError.Required("spec.group");
        else if (NameValidation.IsDns1123Subdomain(group) is { Count: > 0 } errs) yield return FieldError.Invalid("spec.group", group, string.Join(",", errs));
        else if (!group.Contains('.')) yield return FieldError.Invalid("spec.group", group, "should be a domain with at least one dot");

        var scope = Str(spec["scope"]) ?? "";
        if (scope.Length == 0) yield return FieldError.Required("spec.scope");
        else if (scope is not ("Cluster" or "Namespaced")) yield return FieldError.NotSupported("spec.scope", scope, ["Cluster", "Namespaced"]);

        var versions = Items(spec, "versions").ToList();
        var storageCount = 0;
        var seen = new HashSet<string>();
        var unique = true;
        for (var i = 0; i < versions.Count; i++)
        {
            var v = versions[i];
            var p = $"spec.versions[{i}]";
            if (Bool(v["storage"]) == true) storageCount++;
            var vname = Str(v["name"]) ?? "";
            if (!seen.Add(vname)) unique = false;
            if (NameValidation.IsDns1035Label(vname) is { Count: > 0 } verrs) yield return FieldError.Invalid(p + ".name", vname, string.Join(",", verrs));
            var schema = v["schema"]?["openAPIV3Schema"];
            if (schema is not JsonObject s) yield return FieldError.Required(p + ".schema.openAPIV3Schema", "schemas are required");
            else if (string.IsNullOrEmpty(Str(s["type"]))) yield return FieldError.Required(p + ".schema.openAPIV3Schema.type", "must not be empty at the root");
            else if (Str(s["type"]) != "object") yield return FieldError.Invalid(p + ".schema.openAPIV3Schema.type", Str(s["type"]), "must be object at the root");
        }
        var versionsValue = new GoValue("[]apiextensions.CustomResourceDefinitionVersion{" + string.Join(", ", versions.Select(v => "{Name:" + GoQuote.Quote(Str(v["name"]) ?? "") + "}")) + "}");
        if (versions.Count == 0) yield return FieldError.Invalid("spec.versions", versionsValue, "must have exactly one version marked as storage version");
        else if (storageCount != 1) yield return FieldError.Invalid("spec.versions", versionsValue, "must have exactly one version marked as storage version");
        if (!unique) yield return FieldError.Invalid("spec.versions", versionsValue, "must contain unique version names");

        foreach (var key in (string[])["singular", "plural", "kind", "listKind"])
            if (string.IsNullOrEmpty(Str(names[key]))) yield return FieldError.Required("spec.names." + key);
        foreach (var e in ValidateNames(names, "spec.names")) yield return e;
    }

    static IEnumerable<FieldError> ValidateNames(JsonObject names, string path)
    {
        foreach (var key in (string[])["plural", "singular"])
            if (Str(names[key]) is { Length: > 0 } v && NameValidation.IsDns1035Label(v) is { Count: > 0 } errs)
                yield return FieldError.Invalid($"{path}.{key}", v, string.Join(",", errs));
        foreach (var key in (string[])["kind", "listKind"])
            if (Str(names[key]) is { Length: > 0 } v && NameValidation.IsDns1035Label(v.ToLowerInvariant()) is { Count: > 0 } errs)
                yield return FieldError.Invalid($"{path}.{key}", v, "may have mixed case, but should otherwise match: " + string.Join(",", errs));
        var i = 0;
        foreach (var sn in Arr(names["shortNames"]) ?? [])
        {
            var v = Str(sn) ?? "";
            if (NameValidation.IsDns1035Label(v) is { Count: > 0 } errs) yield return FieldError.Invalid($"{path}.shortNames[{i}]", v, string.Join(",", errs));
            i++;
        }
        if (Str(names["kind"]) is { Length: > 0 } kind && kind == Str(names["listKind"]))
            yield return FieldError.Invalid(path + ".listKind", kind, "kind and listKind may not be the same");
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        foreach (var e in Validate(obj)) yield return e;
        foreach (var e in ObjectMetaValidation.ValidateImmutableField(obj["spec"]?["group"], old["spec"]?["group"], "spec.group")) yield return e;
        foreach (var e in ObjectMetaValidation.ValidateImmutableField(obj["spec"]?["names"]?["plural"], old["spec"]?["names"]?["plural"], "spec.names.plural")) yield return e;
        // Scope may change only before the CRD is established.
        var established = (Arr(old["status"]?["conditions"]) ?? []).Any(c => Str(c?["type"]) == "Established" && Str(c?["status"]) == "True");
        if (established) foreach (var e in ObjectMetaValidation.ValidateImmutableField(obj["spec"]?["scope"], old["spec"]?["scope"], "spec.scope")) yield return e;
    }

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old)
    {
        var status = Child(obj, "status") ?? new JsonObject();
        foreach (var e in ValidateNames(Child(status, "acceptedNames") ?? new JsonObject(), "status.acceptedNames")) yield return e;
        var stored = Arr(status["storedVersions"]) ?? [];
        if (stored.Count == 0) yield return FieldError.Invalid("status.storedVersions", new GoValue("[]string{}"), "must have at least one stored version");
        var storage = Items(Child(obj, "spec"), "versions").FirstOrDefault(v => Bool(v["storage"]) == true);
        if (storage != null && !stored.Any(s => Str(s) == Str(storage["name"])))
            yield return FieldError.Invalid("status.storedVersions",
                new GoValue("[]string{" + string.Join(", ", stored.Select(s => GoQuote.Quote(Str(s) ?? ""))) + "}"),
                $"must have the storage version {Str(storage["name"])}");
    }
}
