using System.Text.Json.Nodes;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Admission.Webhooks;

/// <summary>A RuleWithOperations and its matching (admission/plugin/webhook/predicates/rules).</summary>
public sealed record WebhookRule(IReadOnlyList<string> Operations, IReadOnlyList<string> ApiGroups, IReadOnlyList<string> ApiVersions,
    IReadOnlyList<string> Resources, string Scope)
{
    public static WebhookRule From(JsonObject r) => new(Strings(r, "operations"), Strings(r, "apiGroups"), Strings(r, "apiVersions"),
        Strings(r, "resources"), Str(r["scope"]) ?? "*");

    private static List<string> Strings(JsonObject o, string field) => (o[field] as JsonArray ?? []).Select(Str).OfType<string>().ToList();

    /// <summary>
    /// Whether the rule covers a request. <c>*</c> as a resource covers main resources only, <c>*/*</c> everything,
    /// <c>pods/*</c> every subresource of pods, <c>*/status</c> every status subresource.
    /// </summary>
    public bool Matches(string operation, string group, string version, string resource, string subresource, string ns, bool isNamespaceObject)
    {
        if (!Operations.Any(o => o == "*" || o == operation)) return false;
        if (!ApiGroups.Any(g => g == "*" || g == group)) return false;
        if (!ApiVersions.Any(v => v == "*" || v == version)) return false;
        var resourceMatch = Resources.Any(r =>
        {
            var slash = r.IndexOf('/');
            var (res, sub) = slash < 0 ? (r, "") : (r[..slash], r[(slash + 1)..]);
            return (res == "*" || res == resource) && (sub == "*" || sub == subresource);
        });
        if (!resourceMatch) return false;
        return Scope switch
        {
            "Namespaced" => !isNamespaceObject && ns.Length > 0,
            "Cluster" => isNamespaceObject || ns.Length == 0,
            _ => true,
        };
    }
}
