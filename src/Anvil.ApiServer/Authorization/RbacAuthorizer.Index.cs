using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Authorization;

public sealed partial class RbacAuthorizer
{
    /// <summary>A subject as bindings are looked up: user or group name within a scope ("" = cluster bindings, else the RoleBindings' namespace).</summary>
    private readonly record struct SubjectKey(char Kind, string Scope, string Name)
    {
        public const char User = 'U';
        public const char Group = 'G';
    }

    private sealed record Subject(string Kind, string Name, string Namespace);

    /// <summary>A binding as the index keeps it, with its answers prepared: the allow reasons per subject and the missing-role error.</summary>
    private sealed class Binding
    {
        public required string Name { get; init; }
        /// <summary>"" for a ClusterRoleBinding.</summary>
        public required string Namespace { get; init; }
        public required string RoleRefKind { get; init; }
        public required string RoleRefName { get; init; }
        public required Subject[] Subjects { get; init; }
        public required AuthorizationDecision[] AllowedBy { get; init; }
        public required string RoleRefError { get; init; }
        public required SubjectKey[] Keys { get; init; }

        /// <summary>The index of the first subject that applies to the user (appliesTo), for the allow reason.</summary>
        public int FirstSubjectFor(UserInfo user)
        {
            for (var i = 0; i < Subjects.Length; i++)
            {
                var s = Subjects[i];
                switch (s.Kind)
                {
                    case "User" when s.Name == user.Name:
                        return i;
                    case "Group" when user.InGroup(s.Name):
                        return i;
                    case "ServiceAccount":
                        var ns = s.Namespace.Length > 0 ? s.Namespace : Namespace;
                        if (ns.Length > 0 && IsServiceAccount(user.Name, ns, s.Name)) return i;
                        break;
                }
            }
            return 0;
        }
    }

    /// <summary>A cached ClusterRole: rules, labels and aggregation selectors (for the aggregation controller).</summary>
    public sealed record ClusterRoleInfo(string Name, PolicyRule[] Rules, JsonObject? Labels, IReadOnlyList<LabelSelector>? AggregationSelectors);

    private readonly object _writeGate = new();
    private readonly ConcurrentDictionary<string, ClusterRoleInfo> _clusterRoles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Namespace, string Name), PolicyRule[]> _roles = new();
    private readonly Dictionary<(string Namespace, string Name), Binding> _bindings = new();
    /// <summary>Copy-on-write arrays: readers take the array they find without locks.</summary>
    private readonly ConcurrentDictionary<SubjectKey, Binding[]> _bySubject = new();

    /// <summary>The ClusterRoles as cached now.</summary>
    public IReadOnlyCollection<ClusterRoleInfo> ClusterRoles => (IReadOnlyCollection<ClusterRoleInfo>)_clusterRoles.Values;

    /// <summary>Raised after a ClusterRole was added, changed or removed in the cache.</summary>
    public event Action? ClusterRolesChanged;

    private static bool IsServiceAccount(string userName, string ns, string name)
    {
        const string prefix = "system:serviceaccount:";
        return userName.Length == prefix.Length + ns.Length + 1 + name.Length
            && userName.StartsWith(prefix, StringComparison.Ordinal)
            && string.CompareOrdinal(userName, prefix.Length, ns, 0, ns.Length) == 0
            && userName[prefix.Length + ns.Length] == ':'
            && string.CompareOrdinal(userName, prefix.Length + ns.Length + 1, name, 0, name.Length) == 0;
    }

    // ---- writers (watch loops), serialized by _writeGate ----

    private void PutClusterRole(JsonObject obj)
    {
        var name = ObjectMeta.Name(obj);
        IReadOnlyList<LabelSelector>? selectors = null;
        if (obj["aggregationRule"] is JsonObject agg)
            selectors = (Arr(agg["clusterRoleSelectors"]) ?? []).Select(s => LabelSelector.FromLabelSelectorJson(s as JsonObject)).ToList();
        _clusterRoles[name] = new ClusterRoleInfo(name, PolicyRule.ListFromJson(obj["rules"]), ObjectMeta.Labels(obj)?.DeepClone() as JsonObject, selectors);
    }

    private void PutRole(JsonObject obj) => _roles[(ObjectMeta.Namespace(obj), ObjectMeta.Name(obj))] = PolicyRule.ListFromJson(obj["rules"]);

    private void PutBinding(JsonObject obj, bool cluster)
    {
        var b = ParseBinding(obj, cluster);
        var id = (b.Namespace, b.Name);
        if (_bindings.TryGetValue(id, out var old)) Unindex(old);
        _bindings[id] = b;
        foreach (var key in b.Keys)
            _bySubject.AddOrUpdate(key, _ => [b], (_, arr) => [.. arr, b]);
    }

    private void RemoveBinding(string ns, string name)
    {
        if (!_bindings.Remove((ns, name), out var old)) return;
        Unindex(old);
    }

    private void Unindex(Binding b)
    {
        foreach (var key in b.Keys)
        {
            if (!_bySubject.TryGetValue(key, out var arr)) continue;
            var rest = arr.Where(x => !ReferenceEquals(x, b)).ToArray();
            if (rest.Length == 0) _bySubject.TryRemove(key, out _);
            else _bySubject[key] = rest;
        }
    }

    private static Binding ParseBinding(JsonObject obj, bool cluster)
    {
        var name = ObjectMeta.Name(obj);
        var ns = cluster ? "" : ObjectMeta.Namespace(obj);
        var roleRef = obj["roleRef"] as JsonObject;
        var kind = Str(roleRef?["kind"]) ?? "";
        var roleName = Str(roleRef?["name"]) ?? "";
        var subjects = (Arr(obj["subjects"]) ?? []).OfType<JsonObject>()
            .Select(s => new Subject(Str(s["kind"]) ?? "", Str(s["name"]) ?? "", Str(s["namespace"]) ?? "")).ToArray();
        var keys = new List<SubjectKey>();
        foreach (var s in subjects)
        {
            SubjectKey? key = s.Kind switch
            {
                "User" => new SubjectKey(SubjectKey.User, ns, s.Name),
                "Group" => new SubjectKey(SubjectKey.Group, ns, s.Name),
                "ServiceAccount" when (s.Namespace.Length > 0 ? s.Namespace : ns) is { Length: > 0 } saNs =>
                    new SubjectKey(SubjectKey.User, ns, $"system:serviceaccount:{saNs}:{s.Name}"),
                _ => null,
            };
            if (key is { } k && !keys.Contains(k)) keys.Add(k);
        }
        var source = cluster
            ? $"ClusterRoleBinding {GoQuote.Quote(name)} of {kind} {GoQuote.Quote(roleName)} to "
            : $"RoleBinding {GoQuote.Quote(name + "/" + ns)} of {kind} {GoQuote.Quote(roleName)} to ";
        var allowed = subjects.Select(s => new AuthorizationDecision(Decision.Allow, "RBAC: allowed by " + source + DescribeSubject(s, ns))).ToArray();
        if (allowed.Length == 0) allowed = [new AuthorizationDecision(Decision.Allow, "RBAC: allowed by " + source)];
        var error = kind switch
        {
            "ClusterRole" => $"clusterrole.rbac.authorization.k8s.io {GoQuote.Quote(roleName)} not found",
            "Role" => $"role.rbac.authorization.k8s.io {GoQuote.Quote(roleName)} not found",
            _ => $"unsupported role reference kind: {GoQuote.Quote(kind)}",
        };
        return new Binding
        {
            Name = name, Namespace = ns, RoleRefKind = kind, RoleRefName = roleName, Subjects = subjects,
            AllowedBy = allowed, RoleRefError = error, Keys = [.. keys],
        };
    }

    private static string DescribeSubject(Subject s, string bindingNamespace) => s.Kind == "ServiceAccount"
        ? $"{s.Kind} {GoQuote.Quote(s.Name + "/" + (s.Namespace.Length > 0 ? s.Namespace : bindingNamespace))}"
        : $"{s.Kind} {GoQuote.Quote(s.Name)}";
}
