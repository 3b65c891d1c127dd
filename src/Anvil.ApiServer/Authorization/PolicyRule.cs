using System.Text;
using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Authorization;

/// <summary>
/// One rbac/v1 PolicyRule, parsed once when the role is cached so request checks only compare strings
/// (k8s.io/component-helpers/auth/rbac/validation and pkg/apis/rbac/v1/evaluation_helpers.go semantics).
/// </summary>
public sealed class PolicyRule : IEquatable<PolicyRule>
{
    public const string All = "*";

    public IReadOnlyList<string> Verbs => _verbs;
    public IReadOnlyList<string> ApiGroups => _apiGroups;
    public IReadOnlyList<string> Resources => _resources;
    public IReadOnlyList<string> ResourceNames => _resourceNames;
    public IReadOnlyList<string> NonResourceUrls => _nonResourceUrls;

    private readonly string[] _verbs;
    private readonly string[] _apiGroups;
    private readonly string[] _resources;
    private readonly string[] _resourceNames;
    private readonly string[] _nonResourceUrls;

    public PolicyRule(IEnumerable<string>? verbs = null, IEnumerable<string>? apiGroups = null, IEnumerable<string>? resources = null,
        IEnumerable<string>? resourceNames = null, IEnumerable<string>? nonResourceUrls = null)
    {
        _verbs = verbs?.ToArray() ?? [];
        _apiGroups = apiGroups?.ToArray() ?? [];
        _resources = resources?.ToArray() ?? [];
        _resourceNames = resourceNames?.ToArray() ?? [];
        _nonResourceUrls = nonResourceUrls?.ToArray() ?? [];
    }

    /// <summary>A rule from its JSON form; missing or non-string entries are skipped (validation refused them on write).</summary>
    public static PolicyRule FromJson(JsonNode? node)
    {
        var o = node as JsonObject;
        return new PolicyRule(Strings(o?["verbs"]), Strings(o?["apiGroups"]), Strings(o?["resources"]), Strings(o?["resourceNames"]), Strings(o?["nonResourceURLs"]));
    }

    /// <summary>The rules of a role object (<c>rules</c>), in order.</summary>
    public static PolicyRule[] ListFromJson(JsonNode? rules) =>
        rules is JsonArray a ? a.Select(FromJson).ToArray() : [];

    private static string[] Strings(JsonNode? node) =>
        node is JsonArray a ? a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToArray() : [];

    /// <summary>The JSON form as Go's encoder writes it: <c>verbs</c> always, the other lists only when non-empty.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["verbs"] = Array(_verbs) };
        if (_apiGroups.Length > 0) o["apiGroups"] = Array(_apiGroups);
        if (_resources.Length > 0) o["resources"] = Array(_resources);
        if (_resourceNames.Length > 0) o["resourceNames"] = Array(_resourceNames);
        if (_nonResourceUrls.Length > 0) o["nonResourceURLs"] = Array(_nonResourceUrls);
        return o;
    }

    private static JsonArray Array(string[] values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    /// <summary>RuleAllows of the RBAC authorizer: does this rule grant the request?</summary>
    public bool Allows(AuthorizationAttributes a)
    {
        if (a.IsResourceRequest)
            return VerbMatches(a.Verb) && ApiGroupMatches(a.ApiGroup) && ResourceMatches(a.Resource, a.Subresource) && ResourceNameMatches(a.Name);
        return VerbMatches(a.Verb) && NonResourceUrlMatches(a.Path);
    }

    public bool VerbMatches(string verb)
    {
        foreach (var v in _verbs)
            if (v == All || v == verb) return true;
        return false;
    }

    public bool ApiGroupMatches(string group)
    {
        foreach (var g in _apiGroups)
            if (g == All || g == group) return true;
        return false;
    }

    /// <summary>
    /// Matches <c>*</c>, the exact <c>resource</c> or <c>resource/subresource</c>, and <c>*/subresource</c>;
    /// compares in place so no combined string is built per request.
    /// </summary>
    public bool ResourceMatches(string resource, string subresource)
    {
        foreach (var r in _resources)
        {
            if (r == All) return true;
            if (subresource.Length == 0)
            {
                if (r == resource) return true;
                continue;
            }
            if (r.Length == resource.Length + 1 + subresource.Length && r[resource.Length] == '/'
                && r.StartsWith(resource, StringComparison.Ordinal) && r.EndsWith(subresource, StringComparison.Ordinal))
                return true;
            if (r.Length == subresource.Length + 2 && r.StartsWith("*/", StringComparison.Ordinal) && r.EndsWith(subresource, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    public bool ResourceNameMatches(string name)
    {
        if (_resourceNames.Length == 0) return true;
        foreach (var n in _resourceNames)
            if (n == name) return true;
        return false;
    }

    public bool NonResourceUrlMatches(string path)
    {
        foreach (var u in _nonResourceUrls)
        {
            if (u == All || u == path) return true;
            if (u.EndsWith('*') && path.StartsWith(u.TrimEnd('*'), StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>rbacv1helpers.CompactString: the form escalation errors list missing rights in.</summary>
    public string CompactString()
    {
        var parts = new List<string>();
        if (_apiGroups.Length > 0) parts.Add("APIGroups:" + GoList(_apiGroups));
        if (_resources.Length > 0) parts.Add("Resources:" + GoList(_resources));
        if (_nonResourceUrls.Length > 0) parts.Add("NonResourceURLs:" + GoList(_nonResourceUrls));
        if (_resourceNames.Length > 0) parts.Add("ResourceNames:" + GoList(_resourceNames));
        if (_verbs.Length > 0) parts.Add("Verbs:" + GoList(_verbs));
        return "{" + string.Join(", ", parts) + "}";
    }

    /// <summary>Go's <c>%q</c> of a []string: <c>["a" "b"]</c>.</summary>
    public static string GoList(IEnumerable<string> values)
    {
        var sb = new StringBuilder("[");
        var first = true;
        foreach (var v in values)
        {
            if (!first) sb.Append(' ');
            sb.Append(GoQuote.Quote(v));
            first = false;
        }
        return sb.Append(']').ToString();
    }

    public bool Equals(PolicyRule? other) =>
        other != null && _verbs.AsSpan().SequenceEqual(other._verbs) && _apiGroups.AsSpan().SequenceEqual(other._apiGroups)
        && _resources.AsSpan().SequenceEqual(other._resources) && _resourceNames.AsSpan().SequenceEqual(other._resourceNames)
        && _nonResourceUrls.AsSpan().SequenceEqual(other._nonResourceUrls);

    public override bool Equals(object? obj) => Equals(obj as PolicyRule);

    public override int GetHashCode() => HashCode.Combine(_verbs.Length, _resources.Length, _verbs.FirstOrDefault(), _resources.FirstOrDefault());

    public override string ToString() => CompactString();
}
