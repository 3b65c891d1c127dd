using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;

namespace Anvil.Machinery.Selectors;

/// <summary>
/// A label selector (k8s.io/apimachinery/pkg/labels): an AND of requirements, sorted by key.
/// <see cref="Parse"/> reads the <c>labelSelector=</c> query form; <see cref="FromLabelSelectorJson"/> the API's
/// <c>metav1.LabelSelector</c>. Immutable and thread-safe.
/// </summary>
public sealed class LabelSelector
{
    private readonly bool _nothing;

    public IReadOnlyList<LabelRequirement> Requirements { get; }

    private LabelSelector(IReadOnlyList<LabelRequirement> requirements, bool nothing = false)
    {
        Requirements = requirements;
        _nothing = nothing;
    }

    /// <summary>Matches every object (an empty selector).</summary>
    public static LabelSelector Everything { get; } = new([]);

    /// <summary>Matches no object (what a null <c>metav1.LabelSelector</c> means).</summary>
    public static LabelSelector Nothing { get; } = new([], nothing: true);

    /// <summary>True when the selector does not restrict anything (labels.Selector.Empty()).</summary>
    public bool IsEmpty => !_nothing && Requirements.Count == 0;

    public bool IsNothing => _nothing;

    /// <summary>Parses the string form; a syntax or validation error is a 400 BadRequest with upstream's message.</summary>
    public static LabelSelector Parse(string? selector)
    {
        if (string.IsNullOrEmpty(selector)) return Everything;
        var requirements = new LabelSelectorParser(selector).Parse();
        return new LabelSelector(SortByKey(requirements));
    }

    /// <summary>
    /// metav1.LabelSelectorAsSelector: null → <see cref="Nothing"/>, no terms → <see cref="Everything"/>,
    /// otherwise matchLabels (as <c>=</c>) and matchExpressions ANDed. Invalid input → 400 BadRequest.
    /// </summary>
    public static LabelSelector FromLabelSelectorJson(JsonObject? selector)
    {
        if (selector == null) return Nothing;
        var matchLabels = selector["matchLabels"] as JsonObject;
        var matchExpressions = selector["matchExpressions"] as JsonArray;
        if ((matchLabels?.Count ?? 0) + (matchExpressions?.Count ?? 0) == 0) return Everything;

        var requirements = new List<LabelRequirement>();
        if (matchLabels != null)
        {
            foreach (var (key, value) in matchLabels)
            {
                var r = LabelRequirement.Create(key, SelectorOperator.Equals, [StringOf(value)], out var error);
                if (error != null) throw StatusError.BadRequest(error);
                requirements.Add(r);
            }
        }
        if (matchExpressions != null)
        {
            foreach (var node in matchExpressions)
            {
                var expr = node as JsonObject;
                var opText = StringOf(expr?["operator"]);
                SelectorOperator op = opText switch
                {
                    "In" => SelectorOperator.In,
                    "NotIn" => SelectorOperator.NotIn,
                    "Exists" => SelectorOperator.Exists,
                    "DoesNotExist" => SelectorOperator.DoesNotExist,
                    _ => throw StatusError.BadRequest($"{GoFormat.Quote(opText)} is not a valid label selector operator"),
                };
                List<string>? values = expr?["values"] is JsonArray arr && arr.Count > 0 ? arr.Select(StringOf).ToList() : null;
                var r = LabelRequirement.Create(StringOf(expr?["key"]), op, values, out var error);
                if (error != null) throw StatusError.BadRequest(error);
                requirements.Add(r);
            }
        }
        return new LabelSelector(SortByKey(requirements));
    }

    /// <summary>labels.SelectorFromSet: every label must equal; empty or null → <see cref="Everything"/>.</summary>
    public static LabelSelector FromSet(IReadOnlyDictionary<string, string>? labels)
    {
        if (labels == null || labels.Count == 0) return Everything;
        var requirements = labels.Select(kv => LabelRequirement.Create(kv.Key, SelectorOperator.Equals, [kv.Value], out _)).ToList();
        return new LabelSelector(SortByKey(requirements));
    }

    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        if (_nothing) return false;
        foreach (var r in Requirements)
            if (!r.Matches(k => labels != null && labels.TryGetValue(k, out var v) ? v : null))
                return false;
        return true;
    }

    /// <summary>Matches against <c>metadata.labels</c> as JSON (null = no labels).</summary>
    public bool Matches(JsonObject? labels)
    {
        if (_nothing) return false;
        foreach (var r in Requirements)
            if (!r.Matches(k => labels != null && labels.TryGetPropertyValue(k, out var v) ? StringOf(v) : null))
                return false;
        return true;
    }

    /// <summary>When the selector pins <paramref name="label"/> to one value (=, == or a one-value in), that value.</summary>
    public bool RequiresExactMatch(string label, out string value)
    {
        foreach (var r in Requirements)
        {
            if (r.Key != label) continue;
            if (r.Operator is SelectorOperator.Equals or SelectorOperator.DoubleEquals or SelectorOperator.In && r.Values.Count == 1)
            {
                value = r.Values[0];
                return true;
            }
            break;
        }
        value = "";
        return false;
    }

    /// <summary>The canonical string: requirements sorted by key, joined with ",". Nothing and Everything are "".</summary>
    public override string ToString() => string.Join(",", Requirements.Select(r => r.ToString()));

    private static IReadOnlyList<LabelRequirement> SortByKey(List<LabelRequirement> requirements) =>
        requirements.OrderBy(r => r.Key, StringComparer.Ordinal).ToArray();

    private static string StringOf(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? "";
}
