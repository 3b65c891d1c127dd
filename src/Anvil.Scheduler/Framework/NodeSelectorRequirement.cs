using System.Globalization;

namespace Anvil.Scheduler.Framework;

/// <summary>
/// One matchExpressions or matchFields entry of a node selector term (In, NotIn, Exists, DoesNotExist, Gt, Lt),
/// evaluated as nodeaffinity.NodeSelector does: Gt/Lt compare the label as an integer.
/// </summary>
internal sealed record NodeSelectorRequirement(string Key, string Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(Key, out var value);
        switch (Operator)
        {
            case "In": return has && Values.Contains(value!);
            case "NotIn": return !has || !Values.Contains(value!);
            case "Exists": return has;
            case "DoesNotExist": return !has;
            case "Gt" or "Lt":
                if (!has || Values.Count != 1) return false;
                if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)) return false;
                if (!long.TryParse(Values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound)) return false;
                return Operator == "Gt" ? actual > bound : actual < bound;
            default: return false;
        }
    }
}
