using System.Text.Json.Nodes;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Machinery.Validation;

/// <summary>Labels, annotations and label selectors (apimachinery metav1 validation), with Kubernetes' messages.</summary>
public static class LabelValidation
{
    /// <summary>The limit on the summed length of all annotation keys and values.</summary>
    public const int TotalAnnotationSizeLimitB = 256 * 1024;

    public static IEnumerable<FieldError> ValidateLabelName(string name, string path) =>
        NameValidation.IsQualifiedName(name).Select(msg => FieldError.Invalid(path, name, msg));

    public static IEnumerable<FieldError> ValidateLabels(JsonNode? labels, string path)
    {
        foreach (var (k, v) in StringMap(labels))
        {
            foreach (var e in ValidateLabelName(k, path)) yield return e;
            foreach (var msg in NameValidation.IsValidLabelValue(v)) yield return FieldError.Invalid(path, v, msg);
        }
    }

    public static IEnumerable<FieldError> ValidateAnnotations(JsonNode? annotations, string path)
    {
        long size = 0;
        foreach (var (k, v) in StringMap(annotations))
        {
            // Annotation keys are qualified names, but case does not matter.
            foreach (var msg in NameValidation.IsQualifiedName(k.ToLowerInvariant())) yield return FieldError.Invalid(path, k, msg);
            size += System.Text.Encoding.UTF8.GetByteCount(k) + System.Text.Encoding.UTF8.GetByteCount(v);
        }
        if (size > TotalAnnotationSizeLimitB) yield return FieldError.TooLong(path, "", TotalAnnotationSizeLimitB);
    }

    /// <summary>metav1 LabelSelector: operators, keys, values, matchLabels.</summary>
    public static IEnumerable<FieldError> ValidateLabelSelector(JsonNode? selector, string path, bool allowInvalidLabelValue = false)
    {
        if (selector is not JsonObject s) yield break;
        var i = 0;
        foreach (var expr in Arr(s["matchExpressions"]) ?? [])
        {
            var p = $"{path}.matchExpressions[{i++}]";
            var e = Obj(expr) ?? new JsonObject();
            var op = Str(e["operator"]) ?? "";
            var values = Arr(e["values"]) ?? [];
            switch (op)
            {
                case "In" or "NotIn":
                    if (values.Count == 0) yield return FieldError.Required(p + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
                    break;
                case "Exists" or "DoesNotExist":
                    if (values.Count > 0) yield return FieldError.Forbidden(p + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                    break;
                default:
                    yield return FieldError.Invalid(p + ".operator", op, "not a valid selector operator");
                    break;
            }
            foreach (var err in ValidateLabelName(Str(e["key"]) ?? "", p + ".key")) yield return err;
            if (!allowInvalidLabelValue)
                for (var j = 0; j < values.Count; j++)
                {
                    var v = Str(values[j]) ?? "";
                    foreach (var msg in NameValidation.IsValidLabelValue(v)) yield return FieldError.Invalid($"{p}.values[{j}]", v, msg);
                }
        }
        foreach (var e in ValidateLabels(s["matchLabels"], path + ".matchLabels")) yield return e;
    }

    /// <summary>True when the selector has neither matchLabels nor matchExpressions.</summary>
    public static bool IsEmptySelector(JsonNode? selector) =>
        selector is not JsonObject s || ((Obj(s["matchLabels"])?.Count ?? 0) + (Arr(s["matchExpressions"])?.Count ?? 0)) == 0;

    /// <summary>Whether a metav1 LabelSelector matches a label set. An empty selector matches everything.</summary>
    public static bool Matches(JsonNode? selector, JsonNode? labels)
    {
        if (selector is not JsonObject s) return false;
        var set = StringMap(labels).ToDictionary(p => p.Key, p => p.Value);
        foreach (var (k, v) in StringMap(s["matchLabels"]))
            if (!set.TryGetValue(k, out var actual) || actual != v) return false;
        foreach (var expr in Arr(s["matchExpressions"]) ?? [])
        {
            var e = Obj(expr) ?? new JsonObject();
            var key = Str(e["key"]) ?? "";
            var values = (Arr(e["values"]) ?? []).Select(x => Str(x) ?? "").ToHashSet();
            var has = set.TryGetValue(key, out var val);
            var ok = Str(e["operator"]) switch
            {
                "In" => has && values.Contains(val!),
                "NotIn" => !has || !values.Contains(val!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>Go's %#v of a v1.LabelSelector value, used as a bad value in selector errors.</summary>
    public static GoValue GoLabelSelector(JsonNode? selector)
    {
        var s = selector as JsonObject;
        var ml = s?["matchLabels"] is JsonObject m ? JsonRead.GoStringMap(m) : "map[string]string(nil)";
        var exprs = Arr(s?["matchExpressions"]);
        string me;
        if (exprs == null) me = "[]v1.LabelSelectorRequirement(nil)";
        else
            me = "[]v1.LabelSelectorRequirement{" + string.Join(", ", exprs.Select(x =>
            {
                var e = Obj(x) ?? new JsonObject();
                var vals = Arr(e["values"]);
                var v = vals == null ? "[]string(nil)" : "[]string{" + string.Join(", ", vals.Select(y => GoQuote.Quote(Str(y) ?? ""))) + "}";
                return $"v1.LabelSelectorRequirement{{Key:{GoQuote.Quote(Str(e["key"]) ?? "")}, Operator:{GoQuote.Quote(Str(e["operator"]) ?? "")}, Values:{v}}}";
            })) + "}";
        return new GoValue($"v1.LabelSelector{{MatchLabels:{ml}, MatchExpressions:{me}}}");
    }
}
