namespace Anvil.ApiServer.Authorization;

/// <summary>
/// Whether one set of rules grants everything another does (rbac validation's Covers, BreakdownRule and
/// CompactRules): the basis of escalation checks and bootstrap reconciliation.
/// </summary>
public static class PolicyCoverage
{
    /// <summary>True when <paramref name="owner"/> covers every atomic right of <paramref name="servant"/>; otherwise the uncovered atoms.</summary>
    public static (bool Covered, List<PolicyRule> Missing) Covers(IReadOnlyList<PolicyRule> owner, IEnumerable<PolicyRule> servant)
    {
        var missing = new List<PolicyRule>();
        foreach (var rule in servant)
            foreach (var sub in Breakdown(rule))
            {
                var covered = false;
                foreach (var o in owner)
                    if (RuleCovers(o, sub))
                    {
                        covered = true;
                        break;
                    }
                if (!covered) missing.Add(sub);
            }
        return (missing.Count == 0, missing);
    }

    /// <summary>Splits a rule into one rule per group/resource/verb(/name), and per URL/verb.</summary>
    public static IEnumerable<PolicyRule> Breakdown(PolicyRule rule)
    {
        foreach (var group in rule.ApiGroups)
            foreach (var resource in rule.Resources)
                foreach (var verb in rule.Verbs)
                {
                    if (rule.ResourceNames.Count > 0)
                        foreach (var name in rule.ResourceNames)
                            yield return new PolicyRule([verb], [group], [resource], [name]);
                    else
                        yield return new PolicyRule([verb], [group], [resource]);
                }
        foreach (var url in rule.NonResourceUrls)
            foreach (var verb in rule.Verbs)
                yield return new PolicyRule([verb], nonResourceUrls: [url]);
    }

    /// <summary>Whether <paramref name="owner"/> covers <paramref name="sub"/>, an atom from <see cref="Breakdown"/>.</summary>
    private static bool RuleCovers(PolicyRule owner, PolicyRule sub)
    {
        var verbs = owner.Verbs.Contains(PolicyRule.All) || HasAll(owner.Verbs, sub.Verbs);
        var groups = owner.ApiGroups.Contains(PolicyRule.All) || HasAll(owner.ApiGroups, sub.ApiGroups);
        var resources = ResourceCoversAll(owner.Resources, sub.Resources);
        var urls = sub.NonResourceUrls.All(path => owner.NonResourceUrls.Any(o => NonResourceUrlCovers(o, path)));
        var names = sub.ResourceNames.Count == 0
            ? owner.ResourceNames.Count == 0
            : owner.ResourceNames.Count == 0 || HasAll(owner.ResourceNames, sub.ResourceNames);
        return verbs && groups && resources && names && urls;
    }

    private static bool HasAll(IReadOnlyList<string> set, IReadOnlyList<string> contains) => contains.All(set.Contains);

    private static bool ResourceCoversAll(IReadOnlyList<string> set, IReadOnlyList<string> covers)
    {
        if (set.Contains(PolicyRule.All) || HasAll(set, covers)) return true;
        foreach (var path in covers)
        {
            if (set.Contains(path)) continue;
            var slash = path.IndexOf('/');
            if (slash < 0) return false;
            if (!set.Contains("*/" + path[(slash + 1)..])) return false;
        }
        return true;
    }

    private static bool NonResourceUrlCovers(string owner, string path) =>
        owner == path || (owner.EndsWith('*') && path.StartsWith(owner.TrimEnd('*'), StringComparison.Ordinal));

    /// <summary>
    /// Merges rules with one group, one resource, at most one name and nothing else that differ only in verbs
    /// (CompactRules); other rules are kept as they are, merged ones follow them.
    /// </summary>
    public static List<PolicyRule> Compact(IEnumerable<PolicyRule> rules)
    {
        var result = new List<PolicyRule>();
        var simple = new Dictionary<(string Group, string Resource, bool HasName, string Name), (List<string> Verbs, PolicyRule First)>();
        var order = new List<(string, string, bool, string)>();
        foreach (var r in rules)
        {
            if (r.ResourceNames.Count > 1 || r.NonResourceUrls.Count > 0 || r.ApiGroups.Count != 1 || r.Resources.Count != 1)
            {
                result.Add(r);
                continue;
            }
            var key = (r.ApiGroups[0], r.Resources[0], r.ResourceNames.Count == 1, r.ResourceNames.Count == 1 ? r.ResourceNames[0] : "");
            if (simple.TryGetValue(key, out var existing))
            {
                foreach (var v in r.Verbs)
                    if (!existing.Verbs.Contains(v)) existing.Verbs.Add(v);
            }
            else
            {
                simple[key] = ([.. r.Verbs], r);
                order.Add(key);
            }
        }
        foreach (var key in order)
        {
            var (verbs, first) = simple[key];
            result.Add(new PolicyRule(verbs, first.ApiGroups, first.Resources, first.ResourceNames));
        }
        return result;
    }
}
