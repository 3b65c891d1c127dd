using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

/// <summary>
/// The JSONPath subset CRD printer columns use: <c>.a.b</c>, <c>['a.b']</c>, <c>[0]</c>, <c>[-1]</c>, <c>[*]</c>,
/// <c>.*</c> and filters <c>[?(@.type=="Ready")]</c> (==, !=, &lt;, &gt;, &lt;=, &gt;= or bare existence).
/// Missing keys give no result, as with AllowMissingKeys.
/// </summary>
internal sealed class SimpleJsonPath
{
    private abstract record Step;
    private sealed record Field(string Name) : Step;
    private sealed record Index(int Value) : Step;
    private sealed record Wildcard : Step;
    private sealed record Filter(SimpleJsonPath Left, string? Op, JsonNode? Right) : Step;

    private readonly List<Step> _steps;

    private SimpleJsonPath(List<Step> steps) => _steps = steps;

    public static SimpleJsonPath? TryParse(string path)
    {
        var p = path.Trim();
        if (p.StartsWith('{') && p.EndsWith('}')) p = p[1..^1].Trim();
        var pos = 0;
        var steps = ParseSteps(p, ref pos, stopAt: null);
        return steps != null && pos == p.Length ? new SimpleJsonPath(steps) : null;
    }

    private static List<Step>? ParseSteps(string p, ref int pos, char? stopAt)
    {
        var steps = new List<Step>();
        if (pos < p.Length && p[pos] == '$') pos++;
        while (pos < p.Length && p[pos] != stopAt && !(stopAt == ')' && p[pos] is '=' or '!' or '<' or '>' or ' '))
        {
            if (p[pos] == '.')
            {
                pos++;
                if (pos < p.Length && p[pos] == '.') return null; // recursive descent is not supported
                if (pos < p.Length && p[pos] == '*')
                {
                    pos++;
                    steps.Add(new Wildcard());
                    continue;
                }
                var start = pos;
                while (pos < p.Length && p[pos] is not ('.' or '[' or ')' or '=' or '!' or '<' or '>' or ' ')) pos++;
                if (pos == start) return null;
                steps.Add(new Field(p[start..pos]));
            }
            else if (p[pos] == '[')
            {
                var close = p.IndexOf(']', pos);
                if (close < 0) return null;
                var inner = p[(pos + 1)..close];
                if (inner.StartsWith("?(", StringComparison.Ordinal))
                {
                    var filterEnd = FindFilterEnd(p, pos + 3);
                    if (filterEnd < 0 || filterEnd + 1 >= p.Length || p[filterEnd + 1] != ']') return null;
                    var filter = ParseFilter(p[(pos + 3)..filterEnd].Trim());
                    if (filter == null) return null;
                    steps.Add(filter);
                    pos = filterEnd + 2;
                    continue;
                }
                if (inner == "*") steps.Add(new Wildcard());
                else if (inner.Length >= 2 && inner[0] is '\'' or '"' && inner[^1] == inner[0]) steps.Add(new Field(inner[1..^1]));
                else if (int.TryParse(inner, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)) steps.Add(new Index(index));
                else return null;
                pos = close + 1;
            }
            else
            {
                return null;
            }
        }
        return steps;
    }

    // The ')' closing "?(", skipping quoted strings.
    private static int FindFilterEnd(string p, int pos)
    {
        char? quote = null;
        for (; pos < p.Length; pos++)
        {
            var c = p[pos];
            if (quote != null) { if (c == quote) quote = null; }
            else if (c is '\'' or '"') quote = c;
            else if (c == ')') return pos;
        }
        return -1;
    }

    private static Filter? ParseFilter(string text)
    {
        if (!text.StartsWith('@')) return null;
        var pos = 1;
        var left = ParseSteps(text, ref pos, stopAt: ')');
        if (left == null) return null;
        var rest = text[pos..].Trim();
        if (rest.Length == 0) return new Filter(new SimpleJsonPath(left), null, null);
        string? op = null;
        foreach (var candidate in (string[])["==", "!=", "<=", ">=", "<", ">"])
        {
            if (rest.StartsWith(candidate, StringComparison.Ordinal))
            {
                op = candidate;
                break;
            }
        }
        if (op == null) return null;
        var literal = rest[op.Length..].Trim();
        JsonNode? right;
        if (literal.Length >= 2 && literal[0] is '\'' or '"' && literal[^1] == literal[0]) right = JsonValue.Create(literal[1..^1]);
        else if (literal is "true" or "false") right = JsonValue.Create(literal == "true");
        else if (double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) right = JsonValue.Create(number);
        else return null;
        return new Filter(new SimpleJsonPath(left), op, right);
    }

    /// <summary>All matches in document order; an empty list when any key is missing.</summary>
    public List<JsonNode?> Evaluate(JsonNode? root)
    {
        var current = new List<JsonNode?> { root };
        foreach (var step in _steps)
        {
            var next = new List<JsonNode?>();
            foreach (var node in current)
            {
                switch (step)
                {
                    case Field f when node is JsonObject o && o.TryGetPropertyValue(f.Name, out var child):
                        next.Add(child);
                        break;
                    case Index i when node is JsonArray a:
                        var idx = i.Value < 0 ? a.Count + i.Value : i.Value;
                        if (idx >= 0 && idx < a.Count) next.Add(a[idx]);
                        break;
                    case Wildcard when node is JsonArray a:
                        next.AddRange(a);
                        break;
                    case Wildcard when node is JsonObject o:
                        next.AddRange(o.Select(kv => kv.Value));
                        break;
                    case Filter filter when node is JsonArray a:
                        next.AddRange(a.Where(e => Matches(filter, e)));
                        break;
                }
            }
            current = next;
        }
        return current;
    }

    private static class Compare
    {
        public static int? Order(JsonNode? left, JsonNode? right)
        {
            if (left is not JsonValue l || right is not JsonValue r) return null;
            var lk = l.GetValueKind();
            var rk = r.GetValueKind();
            if (lk == JsonValueKind.String && rk == JsonValueKind.String)
                return string.CompareOrdinal(l.GetValue<string>(), r.GetValue<string>());
            if (lk == JsonValueKind.Number && rk == JsonValueKind.Number)
                return double.Parse(l.ToJsonString(), CultureInfo.InvariantCulture).CompareTo(double.Parse(r.ToJsonString(), CultureInfo.InvariantCulture));
            if (lk is JsonValueKind.True or JsonValueKind.False && rk is JsonValueKind.True or JsonValueKind.False)
                return l.GetValue<bool>() == r.GetValue<bool>() ? 0 : null;
            return null;
        }
    }

    private static bool Matches(Filter f, JsonNode? element)
    {
        var results = f.Left.Evaluate(element);
        if (results.Count == 0) return false;
        if (f.Op == null) return true;
        var order = Compare.Order(results[0], f.Right);
        return f.Op switch
        {
            "==" => order == 0,
            "!=" => order != 0,
            "<" => order < 0,
            ">" => order > 0,
            "<=" => order <= 0,
            ">=" => order >= 0,
            _ => false,
        };
    }
}
