using System.Globalization;
using System.Text;

namespace Anvil.Machinery.Selectors;

/// <summary>One term of a label selector (labels.Requirement). Build it with <see cref="Create"/>, which validates.</summary>
public sealed class LabelRequirement
{
    public string Key { get; }
    public SelectorOperator Operator { get; }
    public IReadOnlyList<string> Values { get; }

    private LabelRequirement(string key, SelectorOperator op, IReadOnlyList<string> values)
    {
        Key = key;
        Operator = op;
        Values = values;
    }

    /// <summary>
    /// labels.NewRequirement: validates the key, the number of values for the operator and each value,
    /// and returns the aggregated field errors as a message (null when valid).
    /// </summary>
    internal static LabelRequirement Create(string key, SelectorOperator op, IReadOnlyList<string>? values, out string? error)
    {
        var errs = new List<string>();
        var keyErrs = Validation.NameValidation.IsQualifiedName(key);
        if (keyErrs.Count > 0) errs.Add("key: Invalid value: " + GoFormat.Quote(key) + ": " + string.Join("; ", keyErrs));
        var count = values?.Count ?? 0;
        var list = GoFormat.StringSlice(values);
        switch (op)
        {
            case SelectorOperator.In or SelectorOperator.NotIn when count == 0:
                errs.Add("values: Invalid value: " + list + ": for 'in', 'notin' operators, values set can't be empty");
                break;
            case SelectorOperator.Equals or SelectorOperator.DoubleEquals or SelectorOperator.NotEquals when count != 1:
                errs.Add("values: Invalid value: " + list + ": exact-match compatibility requires one single value");
                break;
            case SelectorOperator.Exists or SelectorOperator.DoesNotExist when count != 0:
                errs.Add("values: Invalid value: " + list + ": values set must be empty for exists and does not exist");
                break;
            case SelectorOperator.GreaterThan or SelectorOperator.LessThan:
                if (count != 1)
                    errs.Add("values: Invalid value: " + list + ": for 'Gt', 'Lt' operators, exactly one value is required");
                for (var i = 0; i < count; i++)
                    if (!long.TryParse(values![i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                        errs.Add($"values[{i}]: Invalid value: {GoFormat.Quote(values[i])}: for 'Gt', 'Lt' operators, the value must be an integer");
                break;
        }
        for (var i = 0; i < count; i++)
        {
            var valueErrs = Validation.NameValidation.IsValidLabelValue(values![i]);
            if (valueErrs.Count > 0)
                errs.Add($"values[{i}][{key}]: Invalid value: {GoFormat.Quote(values[i])}: " + string.Join("; ", valueErrs));
        }
        error = Aggregate(errs);
        return new LabelRequirement(key, op, values?.ToArray() ?? []);
    }

    /// <summary>utilerrors.Aggregate: one message as is, several de-duplicated in brackets.</summary>
    internal static string? Aggregate(List<string> errs)
    {
        if (errs.Count == 0) return null;
        if (errs.Count == 1) return errs[0];
        var distinct = errs.Distinct().ToList();
        return distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
    }

    public bool Matches(Func<string, string?> getLabel)
    {
        var value = getLabel(Key);
        switch (Operator)
        {
            case SelectorOperator.In or SelectorOperator.Equals or SelectorOperator.DoubleEquals:
                return value != null && Values.Contains(value);
            case SelectorOperator.NotIn or SelectorOperator.NotEquals:
                return value == null || !Values.Contains(value);
            case SelectorOperator.Exists:
                return value != null;
            case SelectorOperator.DoesNotExist:
                return value == null;
            case SelectorOperator.GreaterThan or SelectorOperator.LessThan:
                if (value == null || Values.Count != 1) return false;
                if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)) return false;
                if (!long.TryParse(Values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound)) return false;
                return Operator == SelectorOperator.GreaterThan ? actual > bound : actual < bound;
            default:
                return false;
        }
    }

    /// <summary>Requirement.String(): <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a</c>, <c>!a</c>, <c>a&gt;1</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Operator == SelectorOperator.DoesNotExist) sb.Append('!');
        sb.Append(Key);
        switch (Operator)
        {
            case SelectorOperator.Exists or SelectorOperator.DoesNotExist: return sb.ToString();
            case SelectorOperator.Equals: sb.Append('='); break;
            case SelectorOperator.DoubleEquals: sb.Append("=="); break;
            case SelectorOperator.NotEquals: sb.Append("!="); break;
            case SelectorOperator.In: sb.Append(" in ("); break;
            case SelectorOperator.NotIn: sb.Append(" notin ("); break;
            case SelectorOperator.GreaterThan: sb.Append('>'); break;
            case SelectorOperator.LessThan: sb.Append('<'); break;
        }
        sb.Append(string.Join(",", Values.Order(StringComparer.Ordinal)));
        if (Operator is SelectorOperator.In or SelectorOperator.NotIn) sb.Append(')');
        return sb.ToString();
    }
}
