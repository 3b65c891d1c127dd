using Anvil.ApiServer.Authentication;
using Anvil.Machinery.Validation;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Authorization;

/// <summary>
/// Kubernetes RBAC (plugin/pkg/auth/authorizer/rbac) behind the privileged-group authorizer that lets
/// <c>system:masters</c> do anything. Decisions come from an in-memory index of roles and bindings that
/// <see cref="RunAsync"/> keeps current from the store's watch, as kube-apiserver's informers do: bindings are
/// indexed by subject (user, group, service account) and roles by name, so a check touches only the bindings of
/// the asking user and allocates nothing when it allows.
/// </summary>
public sealed partial class RbacAuthorizer : IAuthorizer
{
    /// <summary>kube-apiserver's privileged group (user.SystemPrivilegedGroup).</summary>
    public const string SystemMasters = "system:masters";

    private static readonly AuthorizationDecision PrivilegedAllow = new(Decision.Allow);
    private static readonly ValueTask<AuthorizationDecision> PrivilegedAllowTask = new(PrivilegedAllow);

    /// <summary>Where the watch loops report trouble; null = silent.</summary>
    public ILogger? Log { get; set; }

    public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes attributes, CancellationToken ct)
    {
        var d = Authorize(attributes);
        return ReferenceEquals(d, PrivilegedAllow) ? PrivilegedAllowTask : new ValueTask<AuthorizationDecision>(d);
    }

    /// <summary>
    /// The union of the privileged-group authorizer and RBAC: Allow with upstream's reason, or NoOpinion with
    /// the errors met while resolving the user's bindings (<c>RBAC: clusterrole.rbac.authorization.k8s.io "x" not found</c>).
    /// </summary>
    public AuthorizationDecision Authorize(AuthorizationAttributes a)
    {
        var user = a.User;
        if (IsPrivileged(user)) return PrivilegedAllow;
        List<string>? errors = null;
        var decision = VisitScope(a, "", ref errors);
        if (decision == null && a.Namespace.Length > 0) decision = VisitScope(a, a.Namespace, ref errors);
        if (decision != null) return decision;
        return errors == null ? AuthorizationDecision.NoOpinion : new AuthorizationDecision(Decision.NoOpinion, "RBAC: " + Aggregate(errors));
    }

    public static bool IsPrivileged(UserInfo user)
    {
        var groups = user.Groups;
        for (var i = 0; i < groups.Count; i++)
            if (groups[i] == SystemMasters) return true;
        return false;
    }

    /// <summary>Bindings of one scope ("" = ClusterRoleBindings, else RoleBindings of that namespace) that name the user.</summary>
    private AuthorizationDecision? VisitScope(AuthorizationAttributes a, string scope, ref List<string>? errors)
    {
        var user = a.User;
        if (_bySubject.TryGetValue(new SubjectKey(SubjectKey.User, scope, user.Name), out var byUser)
            && Check(byUser, a, ref errors) is { } d)
            return d;
        var groups = user.Groups;
        for (var i = 0; i < groups.Count; i++)
            if (_bySubject.TryGetValue(new SubjectKey(SubjectKey.Group, scope, groups[i]), out var byGroup)
                && Check(byGroup, a, ref errors) is { } g)
                return g;
        return null;
    }

    private AuthorizationDecision? Check(Binding[] bindings, AuthorizationAttributes a, ref List<string>? errors)
    {
        foreach (var b in bindings)
        {
            var rules = RulesOf(b);
            if (rules == null)
            {
                (errors ??= []).Add(b.RoleRefError);
                continue;
            }
            foreach (var rule in rules)
                if (rule.Allows(a)) return b.AllowedBy[b.FirstSubjectFor(a.User)];
        }
        return null;
    }

    private PolicyRule[]? RulesOf(Binding b) => b.RoleRefKind switch
    {
        "ClusterRole" => _clusterRoles.TryGetValue(b.RoleRefName, out var cr) ? cr.Rules : null,
        "Role" => _roles.TryGetValue((b.Namespace, b.RoleRefName), out var r) ? r : null,
        _ => null,
    };

    /// <summary>
    /// The rules a role reference resolves to (GetRoleReferenceRules), or null with upstream's error text.
    /// <paramref name="bindingNamespace"/> is "" for a ClusterRoleBinding.
    /// </summary>
    public IReadOnlyList<PolicyRule>? RoleReferenceRules(string kind, string name, string bindingNamespace, out string error)
    {
        error = "";
        switch (kind)
        {
            case "ClusterRole":
                if (_clusterRoles.TryGetValue(name, out var cr)) return cr.Rules;
                error = $"clusterrole.rbac.authorization.k8s.io {GoQuote.Quote(name)} not found";
                return null;
            case "Role":
                if (_roles.TryGetValue((bindingNamespace, name), out var r)) return r;
                error = $"role.rbac.authorization.k8s.io {GoQuote.Quote(name)} not found";
                return null;
            default:
                error = $"unsupported role reference kind: {GoQuote.Quote(kind)}";
                return null;
        }
    }

    /// <summary>
    /// Every rule that applies to the user in the namespace ("" = cluster-wide only), with the resolution errors
    /// (RulesFor): what SelfSubjectRulesReview reports and escalation checks compare against.
    /// </summary>
    public (List<PolicyRule> Rules, List<string> Errors) RulesFor(UserInfo user, string ns)
    {
        var rules = new List<PolicyRule>();
        var errors = new List<string>();
        var seen = new HashSet<Binding>(ReferenceEqualityComparer.Instance);
        foreach (var scope in ns.Length > 0 ? new[] { "", ns } : [""])
        {
            var keys = new List<SubjectKey> { new(SubjectKey.User, scope, user.Name) };
            keys.AddRange(user.Groups.Select(g => new SubjectKey(SubjectKey.Group, scope, g)));
            foreach (var key in keys)
            {
                if (!_bySubject.TryGetValue(key, out var bindings)) continue;
                foreach (var b in bindings)
                {
                    if (!seen.Add(b)) continue;
                    var r = RulesOf(b);
                    if (r == null) errors.Add(b.RoleRefError);
                    else rules.AddRange(r);
                }
            }
        }
        return (rules, errors);
    }

    /// <summary>utilerrors.NewAggregate(...).Error(): one message alone, several deduplicated in brackets.</summary>
    public static string Aggregate(IReadOnlyList<string> errors)
    {
        if (errors.Count == 1) return errors[0];
        var distinct = errors.Distinct().ToList();
        return distinct.Count == 1 ? distinct[0] : "[" + string.Join(", ", distinct) + "]";
    }
}
