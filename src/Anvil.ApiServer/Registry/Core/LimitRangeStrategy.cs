using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>core/v1 LimitRange (ValidateLimitRange): types, resource names, and min ≤ defaultRequest ≤ default ≤ max.</summary>
public sealed class LimitRangeStrategy : BuiltinStrategy
{
    public static readonly LimitRangeStrategy Instance = new();

    /// <summary>SetDefaults_LimitRangeItem for Container limits: default ← max, defaultRequest ← default, then ← min.</summary>
    public override void Default(JsonObject obj)
    {
        foreach (var item in Items(Child(obj, "spec"), "limits"))
        {
            foreach (var list in (string[])["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"])
                QuantityValidation.CanonicalizeList(item[list]);
            if (Str(item["type"]) != "Container") continue;
            var def = Object(item, "default");
            var req = Object(item, "defaultRequest");
            foreach (var (k, v) in Child(item, "max") ?? []) if (!def.ContainsKey(k)) def[k] = v?.DeepClone();
            foreach (var (k, v) in def) if (!req.ContainsKey(k)) req[k] = v?.DeepClone();
            foreach (var (k, v) in Child(item, "min") ?? []) if (!req.ContainsKey(k)) req[k] = v?.DeepClone();
            // Empty maps are omitted when serialized.
            if (def.Count == 0) item.Remove("default");
            if (req.Count == 0) item.Remove("defaultRequest");
        }
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var errs = new List<FieldError>();
        var types = new HashSet<string>();
        var i = 0;
        foreach (var limit in Items(Child(obj, "spec"), "limits"))
        {
            var p = $"spec.limits[{i++}]";
            var type = Str(limit["type"]) ?? "";
            errs.AddRange(NameValidation.IsQualifiedName(type).Select(m => FieldError.Invalid(p + ".type", type, m)));
            if (!type.Contains('/') && type is not ("Pod" or "Container" or "PersistentVolumeClaim"))
                errs.Add(FieldError.Invalid(p + ".type", type, "must be a standard limit type or fully qualified"));
            if (!types.Add(type)) errs.Add(FieldError.Duplicate(p + ".type", type));

            var keys = new List<string>();
            var values = new Dictionary<string, Dictionary<string, (decimal V, string C)>>();
            void Collect(string field)
            {
                var map = values[field] = new();
                foreach (var (k, q) in Child(limit, field) ?? [])
                {
                    var fp = $"{p}.{field}[{k}]";
                    errs.AddRange(type is "Pod" or "Container" ? ContainerResourceName(k, fp) : ResourceNames.ValidateResourceName(k, fp));
                    if (!keys.Contains(k) && field is "max" or "min") keys.Add(k);
                    errs.AddRange(PodSpecValidation.ValidateResourceQuantity(k, QuantityValidation.Text(q), fp));
                    if (QuantityValidation.TryParse(QuantityValidation.Text(q), out var v, out var c)) map[k] = (v, c);
                }
            }
            Collect("max");
            Collect("min");
            if (type == "Pod")
            {
                if ((Child(limit, "default")?.Count ?? 0) > 0) errs.Add(FieldError.Forbidden(p + ".default", "may not be specified when `type` is 'Pod'"));
                if ((Child(limit, "defaultRequest")?.Count ?? 0) > 0) errs.Add(FieldError.Forbidden(p + ".defaultRequest", "may not be specified when `type` is 'Pod'"));
                values["default"] = new();
                values["defaultRequest"] = new();
            }
            else
            {
                Collect("default");
                Collect("defaultRequest");
                foreach (var k in values["default"].Keys.Concat(values["defaultRequest"].Keys))
                    if (!keys.Contains(k)) keys.Add(k);
            }
            if (type == "PersistentVolumeClaim" && !values["min"].ContainsKey("storage") && !values["max"].ContainsKey("storage")
                && Child(limit, "min")?.ContainsKey("storage") != true && Child(limit, "max")?.ContainsKey("storage") != true)
                errs.Add(FieldError.Required(p + ".limits", "either minimum or maximum storage value is required, but neither was provided"));
            Collect("maxLimitRequestRatio");
            foreach (var k in values["maxLimitRequestRatio"].Keys) if (!keys.Contains(k)) keys.Add(k);

            foreach (var k in keys)
            {
                var hasMin = values["min"].TryGetValue(k, out var min);
                var hasMax = values["max"].TryGetValue(k, out var max);
                var hasDef = values["default"].TryGetValue(k, out var def);
                var hasReq = values["defaultRequest"].TryGetValue(k, out var req);
                var hasRatio = values["maxLimitRequestRatio"].TryGetValue(k, out var ratio);
                if (hasMin && hasMax && min.V > max.V)
                    errs.Add(FieldError.Invalid($"{p}.min[{k}]", min.C, $"min value {min.C} is greater than max value {max.C}"));
                if (hasReq && hasMin && min.V > req.V)
                    errs.Add(FieldError.Invalid($"{p}.defaultRequest[{k}]", req.C, $"min value {min.C} is greater than default request value {req.C}"));
                if (hasReq && hasMax && req.V > max.V)
                    errs.Add(FieldError.Invalid($"{p}.defaultRequest[{k}]", req.C, $"default request value {req.C} is greater than max value {max.C}"));
                if (hasReq && hasDef && req.V > def.V)
                    errs.Add(FieldError.Invalid($"{p}.defaultRequest[{k}]", req.C, $"default request value {req.C} is greater than default limit value {def.C}"));
                if (hasDef && hasMin && min.V > def.V)
                    errs.Add(FieldError.Invalid($"{p}.default[{k}]", min.C, $"min value {min.C} is greater than default value {def.C}"));
                if (hasDef && hasMax && def.V > max.V)
                    errs.Add(FieldError.Invalid($"{p}.default[{k}]", max.C, $"default value {def.C} is greater than max value {max.C}"));
                if (hasRatio && ratio.V < 1)
                    errs.Add(FieldError.Invalid($"{p}.maxLimitRequestRatio[{k}]", ratio.C, $"ratio {ratio.C} is less than 1"));
                if (hasRatio && hasMin && hasMax && min.V != 0)
                {
                    var limitRatio = (double)(max.V / min.V);
                    if ((double)ratio.V > limitRatio)
                        errs.Add(FieldError.Invalid($"{p}.maxLimitRequestRatio[{k}]", ratio.C,
                            $"ratio {ratio.C} is greater than max/min = {limitRatio.ToString("F6", CultureInfo.InvariantCulture)}"));
                }
                var overcommit = (!k.Contains('/') || k.Contains("kubernetes.io/")) && !k.StartsWith("hugepages-", StringComparison.Ordinal);
                if (!overcommit && hasDef && hasReq && def.V != req.V)
                    errs.Add(FieldError.Invalid($"{p}.defaultRequest[{k}]", req.C, $"default value {def.C} must equal to defaultRequest value {req.C} in {k}"));
            }
        }
        return errs;
    }

    static IEnumerable<FieldError> ContainerResourceName(string name, string path)
    {
        foreach (var e in ResourceNames.ValidateResourceName(name, path)) yield return e;
        if (!name.Contains('/') && name is not ("cpu" or "memory" or "ephemeral-storage") && !name.StartsWith("hugepages-", StringComparison.Ordinal))
            yield return FieldError.Invalid(path, name, "must be a standard resource for containers");
    }
}
