using System.Text.Json.Nodes;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Machinery.Validation;

/// <summary>
/// ObjectMeta checks of k8s.io/apimachinery/pkg/api/validation (ValidateObjectMetaAccessor and
/// ValidateObjectMetaAccessorUpdate) plus core's finalizer-name rule, with Kubernetes' messages.
/// </summary>
public static class ObjectMetaValidation
{
    public const string FieldImmutableErrorMsg = "field is immutable";
    public const string IsNegativeErrorMsg = "must be greater than or equal to 0";

    /// <summary>Finalizer names without a "/" that Kubernetes accepts.</summary>
    public static readonly IReadOnlySet<string> StandardFinalizers = new HashSet<string> { "kubernetes", "orphan", "foregroundDeletion" };

    /// <summary>
    /// Validates a new object's metadata. <paramref name="kubeFinalizers"/> adds core's rule that a finalizer
    /// without "/" must be a standard one (all built-in kinds; not custom resources).
    /// </summary>
    public static IReadOnlyList<FieldError> ValidateObjectMeta(JsonObject? meta, bool namespaced, NameRule rule, string path = "metadata", bool kubeFinalizers = true)
    {
        meta ??= new JsonObject();
        var errs = new List<FieldError>();
        var generateName = Str(meta["generateName"]) ?? "";
        if (generateName.Length > 0)
            foreach (var msg in NameValidation.ValidateName(rule, generateName, prefix: true))
                errs.Add(FieldError.Invalid(path + ".generateName", generateName, msg));
        var name = Str(meta["name"]) ?? "";
        if (name.Length == 0) errs.Add(FieldError.Required(path + ".name", "name or generateName is required"));
        else
            foreach (var msg in NameValidation.ValidateName(rule, name))
                errs.Add(FieldError.Invalid(path + ".name", name, msg));

        var ns = Str(meta["namespace"]) ?? "";
        if (namespaced)
        {
            if (ns.Length == 0) errs.Add(FieldError.Required(path + ".namespace"));
            else
                foreach (var msg in NameValidation.IsDns1123Label(ns))
                    errs.Add(FieldError.Invalid(path + ".namespace", ns, msg));
        }
        else if (ns.Length > 0) errs.Add(FieldError.Forbidden(path + ".namespace", "not allowed on this type"));

        if (Int(meta["generation"]) is < 0 and var gen) errs.Add(FieldError.Invalid(path + ".generation", gen, IsNegativeErrorMsg));
        errs.AddRange(LabelValidation.ValidateLabels(meta["labels"], path + ".labels"));
        errs.AddRange(LabelValidation.ValidateAnnotations(meta["annotations"], path + ".annotations"));
        errs.AddRange(ValidateOwnerReferences(meta["ownerReferences"], path + ".ownerReferences"));
        errs.AddRange(ValidateFinalizers(meta["finalizers"], path + ".finalizers"));
        if (kubeFinalizers)
            foreach (var f in Arr(meta["finalizers"]) ?? [])
            {
                var fin = Str(f) ?? "";
                // Core re-runs the qualified-name check (deduplicated in the message) and then the standard-name rule.
                if (!fin.Contains('/') && !StandardFinalizers.Contains(fin))
                    errs.Add(FieldError.Invalid(path + ".finalizers", fin, "name is neither a standard finalizer name nor is it fully qualified"));
            }
        return errs;
    }

    /// <summary>Validates metadata changes on update: immutable identity fields, no new finalizers while deleting, labels and annotations.</summary>
    public static IReadOnlyList<FieldError> ValidateObjectMetaUpdate(JsonObject? newMeta, JsonObject? oldMeta, string path = "metadata")
    {
        newMeta ??= new JsonObject();
        oldMeta ??= new JsonObject();
        var errs = new List<FieldError>();
        if (oldMeta["deletionTimestamp"] is not null)
        {
            var old = (Arr(oldMeta["finalizers"]) ?? []).Select(Str).ToHashSet();
            var extra = (Arr(newMeta["finalizers"]) ?? []).Select(f => Str(f) ?? "").Where(f => !old.Contains(f)).Distinct().Order(StringComparer.Ordinal).ToList();
            if (extra.Count > 0)
                errs.Add(FieldError.Forbidden(path + ".finalizers",
                    "no new finalizers can be added if the object is being deleted, found new finalizers []string{" + string.Join(", ", extra.Select(GoQuote.Quote)) + "}"));
        }
        var rv = Str(newMeta["resourceVersion"]) ?? "";
        if (rv.Length == 0) errs.Add(FieldError.Invalid(path + ".resourceVersion", rv, "must be specified for an update"));
        var newGen = Int(newMeta["generation"]) ?? 0;
        if (newGen < (Int(oldMeta["generation"]) ?? 0)) errs.Add(FieldError.Invalid(path + ".generation", newGen, "must not be decremented"));
        foreach (var f in (string[])["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"])
            errs.AddRange(ValidateImmutableField(newMeta[f], oldMeta[f], path + "." + f));
        errs.AddRange(LabelValidation.ValidateLabels(newMeta["labels"], path + ".labels"));
        errs.AddRange(LabelValidation.ValidateAnnotations(newMeta["annotations"], path + ".annotations"));
        errs.AddRange(ValidateOwnerReferences(newMeta["ownerReferences"], path + ".ownerReferences"));
        return errs;
    }

    /// <summary><c>field is immutable</c> when the two values differ (null and absent are equal; strings print quoted).</summary>
    public static IEnumerable<FieldError> ValidateImmutableField(JsonNode? newValue, JsonNode? oldValue, string path)
    {
        if (JsonNode.DeepEquals(Normalize(newValue), Normalize(oldValue))) yield break;
        yield return FieldError.Invalid(path, BadValue(newValue), FieldImmutableErrorMsg);
    }

    /// <summary>A JSON value as a field error's bad value: strings and numbers as such (printed like Go), others as JSON.</summary>
    public static object? BadValue(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when Str(v) is { } s => s,
        JsonValue v when Int(v) is { } i => i,
        JsonValue v when Bool(v) is { } b => b,
        _ => value,
    };

    static JsonNode? Normalize(JsonNode? n) => n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Null ? null : n;

    public static IEnumerable<FieldError> ValidateFinalizers(JsonNode? finalizers, string path)
    {
        var seen = new HashSet<string>();
        var list = Arr(finalizers) ?? [];
        foreach (var f in list)
        {
            var fin = Str(f) ?? "";
            foreach (var msg in NameValidation.IsQualifiedName(fin)) yield return FieldError.Invalid(path, fin, msg);
            if (!seen.Add(fin)) yield return FieldError.Duplicate(path, fin);
        }
        if (seen.Contains("orphan") && seen.Contains("foregroundDeletion"))
            yield return FieldError.Invalid(path, new GoValue("[]string{" + string.Join(", ", list.Select(f => GoQuote.Quote(Str(f) ?? ""))) + "}"),
                "finalizer orphan and foregroundDeletion cannot be both set");
    }

    public static IEnumerable<FieldError> ValidateOwnerReferences(JsonNode? refs, string path)
    {
        string? controller = null;
        foreach (var r in Arr(refs) ?? [])
        {
            var o = Obj(r) ?? new JsonObject();
            var apiVersion = Str(o["apiVersion"]) ?? "";
            var kind = Str(o["kind"]) ?? "";
            var name = Str(o["name"]) ?? "";
            var uid = Str(o["uid"]) ?? "";
            var version = apiVersion.Contains('/') ? apiVersion[(apiVersion.IndexOf('/') + 1)..] : apiVersion;
            var group = apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";
            if (version.Length == 0) yield return FieldError.Invalid(path + ".apiVersion", apiVersion, "version must not be empty");
            if (kind.Length == 0) yield return FieldError.Invalid(path + ".kind", kind, "kind must not be empty");
            if (name.Length == 0) yield return FieldError.Invalid(path + ".name", name, "name must not be empty");
            if (uid.Length == 0) yield return FieldError.Invalid(path + ".uid", uid, "uid must not be empty");
            if (group == "events.k8s.io" && version == "v1" && kind == "Event")
                yield return FieldError.Invalid(path, o, "events.k8s.io/v1, Kind=Event is disallowed from being an owner");
            if (Bool(o["controller"]) == true)
            {
                var current = kind + "/" + name;
                if (controller != null)
                    yield return FieldError.Invalid(path, refs,
                        $"Only one reference can have Controller set to true. Found \"true\" in references for {controller} and {current}");
                else controller = current;
            }
        }
    }

    /// <summary>ValidateNonnegativeField: <c>must be greater than or equal to 0</c>.</summary>
    public static IEnumerable<FieldError> ValidateNonnegative(long? value, string path)
    {
        if (value is < 0) yield return FieldError.Invalid(path, value.Value, IsNegativeErrorMsg);
    }
}
