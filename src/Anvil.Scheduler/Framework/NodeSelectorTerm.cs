namespace Anvil.Scheduler.Framework;

/// <summary>
/// A required node affinity term: its matchExpressions (on labels) and matchFields (only metadata.name)
/// are ANDed. A term with neither matches nothing, as upstream.
/// </summary>
internal sealed record NodeSelectorTerm(IReadOnlyList<NodeSelectorRequirement> Expressions, IReadOnlyList<NodeSelectorRequirement> Fields)
{
    public bool Matches(string nodeName, IReadOnlyDictionary<string, string> labels)
    {
        if (Expressions.Count == 0 && Fields.Count == 0) return false;
        foreach (var e in Expressions)
            if (!e.Matches(labels)) return false;
        foreach (var f in Fields)
        {
            if (f.Key != "metadata.name") return false;
            if (!f.Matches(new Dictionary<string, string> { ["metadata.name"] = nodeName })) return false;
        }
        return true;
    }
}
