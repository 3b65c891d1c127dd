using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.CustomResources;

/// <summary>
/// OpenAPI v3 value validation of a custom resource against its CRD schema, as kube-openapi's SchemaValidator
/// does it and as apiextensions turns the results into field errors (kubeOpenAPIResultToFieldErrors):
/// messages like <c>spec.replicas in body should be less than or equal to 10</c>, with the path kube-openapi
/// builds (properties joined with dots, items as <c>[i]</c>). Per value the checks run in kube-openapi's order:
/// type, allOf/anyOf/oneOf/not, string, format, number, array, enum, object. Go iterates maps in random order;
/// here properties are checked in schema order and other keys in document order.
/// </summary>
internal static class OpenApiSchemaValidator
{
    private const string In = "body";

    /// <param name="old">On update, the correlated value of the old object (CRDValidationRatcheting): an unchanged
    /// value is not validated. Object fields correlate by name, list-type map entries by their keys; other list items
    /// do not correlate.</param>
    public static void Validate(JsonNode? data, StructuralSchema s, string path, List<FieldError> errs, OldValue? old = null)
    {
        if (old is { } o && GoValues.JsonEquals(o.Node, data)) return;
        if (data is null)
        {
            // A null only meets the type check (unless nullable) and the enum.
            var types = s.Types;
            if (types.Count > 0 && !s.Nullable) InvalidType(errs, path, string.Join(",", types), "null");
            Enum(data, s, path, errs);
            return;
        }

        var kind = GoValues.TypeName(data);
        TypeCheck(data, kind, s, path, errs);
        SchemaProps(data, s, path, errs, old);
        if (kind == "string") StringChecks(data.GetValue<string>(), s, path, errs);
        if (kind == "string" && s.EffectiveFormat is { } format && format is not ("int32" or "int64" or "float" or "double")
            && !StringFormats.IsValid(format, data.GetValue<string>()))
            InvalidType(errs, path, format, data.GetValue<string>());
        if (kind is "integer" or "number") NumberChecks(data, kind == "integer", s, path, errs);
        if (data is JsonArray array) SliceChecks(array, s, path, errs, old?.Node as JsonArray);
        Enum(data, s, path, errs);
        if (data is JsonObject obj) ObjectChecks(obj, s, path, errs, old?.Node as JsonObject);
    }

    /// <summary>The field path kube-apiserver reports for a kube-openapi error name (leading dot dropped; none is "&lt;nil&gt;").</summary>
    private static string FieldPath(string name) =>
        name.Length == 0 || name == "." ? "<nil>" : name.StartsWith('.') ? name[1..] : name;

    private static string Child(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static string Num(long l) => l.ToString(CultureInfo.InvariantCulture);

    private static void InvalidType(List<FieldError> errs, string name, string typeName, string value) =>
        errs.Add(new FieldError(FieldErrorType.TypeInvalid, FieldPath(name), value,
            $"{name} in {In} must be of type {typeName}: {GoQuote.Quote(value)}", true));

    private static void Invalid(List<FieldError> errs, string name, object? value, string message) =>
        errs.Add(FieldError.Invalid(FieldPath(name), value, message));

    /// <summary>kube-openapi's typeValidator, with the JSON type (and int64/float64 format) inferred from the value.</summary>
    private static void TypeCheck(JsonNode data, string kind, StructuralSchema s, string path, List<FieldError> errs)
    {
        var types = s.Types;
        var format = s.EffectiveFormat;
        if (types.Count == 0 && format == null) return;
        var dataFormat = kind switch { "integer" => "int64", "number" => "float64", _ => "" };
        var isFloatInt = kind == "number" && types.Contains("integer") && JsonNumbers.AsDouble(data) is { } d && Math.Floor(d) == d && !double.IsInfinity(d);
        var isIntFloat = kind == "integer" && types.Contains("number");
        if (kind is not ("string" or "array") && format != null && !(types.Contains(kind) || dataFormat == format || isFloatInt || isIntFloat))
        {
            InvalidType(errs, path, format, dataFormat);
            return;
        }
        if (!(types.Contains("number") || types.Contains("integer")) && format != null && kind is "string" or "array") return;
        if (!(types.Contains(kind) || isFloatInt || isIntFloat)) InvalidType(errs, path, string.Join(",", types), kind);
    }

    /// <summary>allOf, anyOf, oneOf and not; their summary errors carry no field path, as upstream's do not.</summary>
    private static void SchemaProps(JsonNode data, StructuralSchema s, string path, List<FieldError> errs, OldValue? old)
    {
        if (s.AnyOf.Count > 0)
        {
            List<FieldError>? best = null;
            var succeeded = false;
            foreach (var alt in s.AnyOf)
            {
                var result = new List<FieldError>();
                Validate(data, alt, path, result, old);
                if (result.Count == 0) { succeeded = true; best = null; break; }
                if (best == null || result.Count < best.Count) best = result;
            }
            if (!succeeded) errs.Add(Composite($"{GoQuote.Quote(path)} must validate at least one schema (anyOf)"));
            if (best != null) errs.AddRange(best);
        }
        if (s.OneOf.Count > 0)
        {
            List<FieldError>? best = null;
            var validated = 0;
            foreach (var alt in s.OneOf)
            {
                var result = new List<FieldError>();
                Validate(data, alt, path, result, old);
                if (result.Count == 0) { validated++; best = null; continue; }
                if (validated == 0 && (best == null || result.Count < best.Count)) best = result;
            }
            if (validated != 1)
            {
                var more = validated == 0 ? "Found none valid" : $"Found {validated} valid alternatives";
                errs.Add(Composite($"{GoQuote.Quote(path)} must validate one and only one schema (oneOf). {more}"));
                if (best != null) errs.AddRange(best);
            }
        }
        if (s.AllOf.Count > 0)
        {
            var validated = 0;
            foreach (var alt in s.AllOf)
            {
                var result = new List<FieldError>();
                Validate(data, alt, path, result, old);
                if (result.Count == 0) validated++;
                errs.AddRange(result);
            }
            if (validated != s.AllOf.Count)
                errs.Add(Composite($"{GoQuote.Quote(path)} must validate all the schemas (allOf){(validated == 0 ? ". None validated" : "")}"));
        }
        if (s.Not != null)
        {
            var result = new List<FieldError>();
            Validate(data, s.Not, path, result);
            if (result.Count == 0) errs.Add(Composite($"{GoQuote.Quote(path)} must not validate the schema (not)"));
        }
    }

    /// <summary>A kube-openapi error that is not a Validation: apiextensions reports it at the nil path with value "".</summary>
    private static FieldError Composite(string message) => FieldError.Invalid("<nil>", "", message);

    /// <summary>kube-openapi's stringValidator: the first failing check only. Lengths count Unicode code points.</summary>
    private static void StringChecks(string value, StructuralSchema s, string path, List<FieldError> errs)
    {
        var length = value.EnumerateRunes().Count();
        if (s.MaxLength is { } max && length > max)
        {
            // TooLongFailCode carries no limit that apiextensions can read: field.TooLong with -1.
            errs.Add(new FieldError(FieldErrorType.TooLong, FieldPath(path), null, "value is too long"));
            return;
        }
        if (s.MinLength is { } min && length < min)
        {
            Invalid(errs, path, value, $"{path} in {In} should be at least {Num(min)} chars long");
            return;
        }
        if (s.PatternRegex != null && !s.PatternRegex.IsMatch(value))
            Invalid(errs, path, value, $"{path} in {In} should match '{s.Pattern}'");
    }

    /// <summary>kube-openapi's numberValidator: multipleOf, minimum, maximum; int64 values compare against integer bounds.</summary>
    private static void NumberChecks(JsonNode data, bool isInt, StructuralSchema s, string path, List<FieldError> errs)
    {
        var bad = GoValues.BadValue(data);
        var l = JsonNumbers.AsLong(data) ?? 0;
        var d = JsonNumbers.AsDouble(data) ?? 0;
        if (s.MultipleOf is { } factor)
        {
            if (factor < 0)
                Invalid(errs, path, new GoValue(JsonNumbers.Format(factor)), $"factor MultipleOf declared for {path} must be positive: {JsonNumbers.Format(factor)}");
            else if (isInt && factor >= 1)
            {
                var f = (long)factor;
                if (l % f != 0) Invalid(errs, path, bad, $"{path} in {In} should be a multiple of {Num(f)}");
            }
            else if (factor > 0)
            {
                var mult = factor < 1 ? 1 / factor * d : d / factor;
                if (Math.Floor(mult) != mult || double.IsInfinity(mult))
                    Invalid(errs, path, bad, $"{path} in {In} should be a multiple of {JsonNumbers.Format(factor)}");
            }
        }
        if (s.Minimum is { } minimum)
        {
            var exclusive = s.ExclusiveMinimum;
            if (isInt)
            {
                var m = (long)minimum;
                if (exclusive ? l <= m : l < m)
                    Invalid(errs, path, bad, $"{path} in {In} should be greater than {(exclusive ? "" : "or equal to ")}{Num(m)}");
            }
            else if (exclusive ? d <= minimum : d < minimum)
                Invalid(errs, path, bad, $"{path} in {In} should be greater than {(exclusive ? "" : "or equal to ")}{JsonNumbers.Format(minimum)}");
        }
        if (s.Maximum is { } maximum)
        {
            var exclusive = s.ExclusiveMaximum;
            if (isInt)
            {
                var m = (long)maximum;
                if (exclusive ? l >= m : l > m)
                    Invalid(errs, path, bad, $"{path} in {In} should be less than {(exclusive ? "" : "or equal to ")}{Num(m)}");
            }
            else if (exclusive ? d >= maximum : d > maximum)
                Invalid(errs, path, bad, $"{path} in {In} should be less than {(exclusive ? "" : "or equal to ")}{JsonNumbers.Format(maximum)}");
        }
    }

    /// <summary>kube-openapi's schemaSliceValidator: the items first, then minItems, maxItems, uniqueItems.</summary>
    private static void SliceChecks(JsonArray array, StructuralSchema s, string path, List<FieldError> errs, JsonArray? old)
    {
        if (s.Items != null)
            for (var i = 0; i < array.Count; i++)
                Validate(array[i], s.Items, path + "[" + Num(i) + "]", errs, CorrelateItem(array[i], s, old));
        var size = array.Count;
        if (s.MinItems is { } min && size < min)
            Invalid(errs, path, (long)size, $"{path} in {In} should have at least {Num(min)} items");
        if (s.MaxItems is { } max && size > max)
            // MaxItemsFailCode: field.TooMany with the count and no readable limit.
            errs.Add(new FieldError(FieldErrorType.TooMany, FieldPath(path), (long)size, "has too many items", true));
        if (s.UniqueItems)
        {
            for (var i = 1; i < size; i++)
            {
                if (Enumerable.Range(0, i).Any(j => GoValues.JsonEquals(array[i], array[j])))
                {
                    Invalid(errs, path, "", $"{path} in {In} shouldn't contain duplicates");
                    break;
                }
            }
        }
    }

    private static void Enum(JsonNode? data, StructuralSchema s, string path, List<FieldError> errs)
    {
        if (s.Enum is not { Count: > 0 } values) return;
        if (values.Any(v => GoValues.JsonEquals(v, data))) return;
        // Allowed values: strings as they are, anything else as JSON; each quoted like strconv.Quote.
        var supported = values.Select(v => v is JsonValue sv && sv.GetValueKind() == JsonValueKind.String
            ? sv.GetValue<string>()
            : v?.ToJsonString() ?? "null");
        errs.Add(new FieldError(FieldErrorType.NotSupported, FieldPath(path), GoValues.BadValue(data),
            "supported values: " + string.Join(", ", supported.Select(GoQuote.Quote)), true));
    }

    /// <summary>kube-openapi's objectValidator: property counts (which end the check), unknown keys, properties, required.</summary>
    private static void ObjectChecks(JsonObject obj, StructuralSchema s, string path, List<FieldError> errs, JsonObject? old)
    {
        long count = obj.Count;
        if (s.MinProperties is { } min && count < min)
        {
            Invalid(errs, path, count, $"{path} in {In} should have at least {Num(min)} properties");
            return;
        }
        if (s.MaxProperties is { } max && count > max)
        {
            errs.Add(new FieldError(FieldErrorType.TooMany, FieldPath(path), count, "has too many items", true));
            return;
        }

        foreach (var (key, value) in obj)
        {
            if (s.Properties.ContainsKey(key)) continue;
            if (s.AdditionalPropertiesForbidden)
                Invalid(errs, path, key, $"{path}.{key} in {In} is a forbidden property");
            else if (s.AdditionalProperties != null)
                Validate(value, s.AdditionalProperties, path + "." + key, errs, Field(old, key));
        }

        foreach (var (name, schema) in s.PropertyList)
            if (obj.TryGetPropertyValue(name, out var value))
                Validate(value, schema, Child(path, name), errs, Field(old, name));

        foreach (var name in s.Required)
            if (!obj.ContainsKey(name))
                errs.Add(FieldError.Required(FieldPath(path + "." + name)));
    }

    private static OldValue? Field(JsonObject? old, string key) =>
        old != null && old.TryGetPropertyValue(key, out var value) ? new OldValue(value) : null;

    /// <summary>The old entry of a list-type map with the same key field values; other lists do not correlate.</summary>
    private static OldValue? CorrelateItem(JsonNode? item, StructuralSchema s, JsonArray? old)
    {
        if (old == null || s.ListType != "map" || s.ListMapKeys.Count == 0 || item is not JsonObject entry) return null;
        foreach (var candidate in old.OfType<JsonObject>())
        {
            var same = s.ListMapKeys.All(k => entry.TryGetPropertyValue(k, out var a) == candidate.TryGetPropertyValue(k, out var b)
                                              && GoValues.JsonEquals(a, b));
            if (same) return new OldValue(candidate);
        }
        return null;
    }
}

/// <summary>A correlated value of the old object (possibly JSON null).</summary>
internal readonly record struct OldValue(JsonNode? Node);
