using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Endpoints;

namespace Anvil.ApiServer.Audit;

/// <summary>One rule of a Policy; empty lists match everything, as in k8s.io/apiserver's policy checker.</summary>
public sealed record AuditPolicyRule
{
    public required AuditLevel Level { get; init; }
    public IReadOnlyList<string> Users { get; init; } = [];
    public IReadOnlyList<string> UserGroups { get; init; } = [];
    public IReadOnlyList<string> Verbs { get; init; } = [];
    public IReadOnlyList<AuditGroupResources> Resources { get; init; } = [];
    /// <summary>Namespaces of resource requests; "" matches cluster-scoped ones.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];
    /// <summary>Paths of non-resource requests: exact, <c>*</c>, or a prefix ending in <c>*</c>.</summary>
    public IReadOnlyList<string> NonResourceUrls { get; init; } = [];
    public IReadOnlyList<AuditStage> OmitStages { get; init; } = [];
    public bool? OmitManagedFields { get; init; }

    /// <summary>Whether the rule applies; <paramref name="user"/> is null when the request was not authenticated.</summary>
    public bool Matches(UserInfo? user, RequestInfo info)
    {
        if (Users.Count > 0 && (user == null || !Users.Contains(user.Name))) return false;
        if (UserGroups.Count > 0 && (user == null || !user.Groups.Any(UserGroups.Contains))) return false;
        if (Verbs.Count > 0 && !Verbs.Contains(info.Verb)) return false;
        if (Namespaces.Count > 0 || Resources.Count > 0) return MatchesResource(info);
        if (NonResourceUrls.Count > 0) return !info.IsResourceRequest && NonResourceUrls.Any(spec => PathMatches(info.Path, spec));
        return true;
    }

    private bool MatchesResource(RequestInfo info)
    {
        if (!info.IsResourceRequest) return false;
        if (Namespaces.Count > 0 && !Namespaces.Contains(info.Namespace)) return false;
        if (Resources.Count == 0) return true;
        var combined = info.Subresource.Length > 0 ? info.Resource + "/" + info.Subresource : info.Resource;
        foreach (var gr in Resources)
        {
            if (gr.Group != info.Group) continue;
            if (gr.Resources.Count == 0) return true;
            if (gr.ResourceNames.Count > 0 && !gr.ResourceNames.Contains(info.Name)) continue;
            foreach (var r in gr.Resources)
            {
                if (r == "*" || r == combined) return true;
                if (info.Subresource.Length > 0 && r.StartsWith("*/", StringComparison.Ordinal) && r[2..] == info.Subresource) return true;
                if (r.EndsWith("/*", StringComparison.Ordinal) && r[..^2] == info.Resource) return true;
            }
        }
        return false;
    }

    private static bool PathMatches(string path, string spec) =>
        spec == "*" || spec == path || (spec.EndsWith('*') && path.StartsWith(spec.TrimEnd('*'), StringComparison.Ordinal));
}
