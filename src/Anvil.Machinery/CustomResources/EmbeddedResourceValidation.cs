using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.CustomResources;

/// <summary>
/// apiextensions' objectmeta.Validate for <c>x-kubernetes-embedded-resource</c> objects below the root:
/// apiVersion and kind are required and well-formed, metadata passes ObjectMeta validation (with path-segment
/// names, and a stand-in name when none is given). Paths use field.Path (map keys as <c>[key]</c>).
/// </summary>
internal static class EmbeddedResourceValidation
{
    public static void Validate(string path, JsonNode? x, StructuralSchema? s, List<FieldError> errs)
    {
        if (s == null) return;
        switch (x)
        {
            case JsonObject obj:
                if (s.EmbeddedResource) ValidateEmbedded(path, obj, errs);
                foreach (var (key, value) in obj)
                {
                    if (s.Property(key) is { } prop) Validate(Child(path, key), value, prop, errs);
                    else if (s.AdditionalProperties != null) Validate(path + "[" + key + "]", value, s.AdditionalProperties, errs);
                }
                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++) Validate(path + "[" + i + "]", arr[i], s.Items, errs);
                break;
        }
    }

    internal static string Child(string path, string key) => path.Length == 0 ? key : path + "." + key;

    private static void ValidateEmbedded(string path, JsonObject x, List<FieldError> errs)
    {
        if (!x.ContainsKey("apiVersion")) errs.Add(FieldError.Required(Child(path, "apiVersion")));
        if (!x.ContainsKey("kind")) errs.Add(FieldError.Required(Child(path, "kind")));
        foreach (var (key, value) in x)
        {
            switch (key)
            {
                case "apiVersion":
                    if (JsonRead.Str(value) is not { } apiVersion)
                        errs.Add(FieldError.Invalid(Child(path, "apiVersion"), GoValues.BadValue(value), "must be a string"));
                    else if (apiVersion.Length == 0)
                        errs.Add(FieldError.Required(Child(path, "apiVersion")));
                    else if (apiVersion != "/" && apiVersion.Count(c => c == '/') > 1)
                        errs.Add(FieldError.Invalid(Child(path, "apiVersion"), apiVersion, "unexpected GroupVersion string: " + apiVersion));
                    break;
                case "kind":
                    if (JsonRead.Str(value) is not { } kind)
                        errs.Add(FieldError.Invalid(Child(path, "kind"), GoValues.BadValue(value), "must be a string"));
                    else if (kind.Length == 0)
                        errs.Add(FieldError.Required(Child(path, "kind")));
                    else if (NameValidation.IsDns1035Label(kind.ToLowerInvariant()) is { Count: > 0 } problems)
                        errs.Add(FieldError.Invalid(Child(path, "kind"), kind, "may have mixed case, but should otherwise match: " + string.Join(",", problems)));
                    break;
                case "metadata":
                    if (value is not JsonObject meta)
                    {
                        errs.Add(FieldError.Invalid(Child(path, "metadata"), GoValues.BadValue(value), "must be an object"));
                        break;
                    }
                    var copy = (JsonObject)meta.DeepClone();
                    if (string.IsNullOrEmpty(JsonRead.Str(copy["name"]))) copy["name"] = "fakename"; // upstream sets one to avoid an error
                    var ns = JsonRead.Str(copy["namespace"]) ?? "";
                    errs.AddRange(ObjectMetaValidation.ValidateObjectMeta(copy, ns.Length > 0, NameRule.PathSegment, Child(path, "metadata"), kubeFinalizers: false));
                    break;
            }
        }
    }
}
