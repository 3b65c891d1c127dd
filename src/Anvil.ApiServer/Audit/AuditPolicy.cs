using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Config;
using Anvil.ApiServer.Endpoints;

namespace Anvil.ApiServer.Audit;

/// <summary>
/// An <c>audit.k8s.io/v1 Policy</c>: the first matching rule decides the level; no match means None.
/// Whatever the rules say, requests on secrets, tokenreviews and serviceaccounts/token are logged at
/// most at Metadata, so credentials never reach the log.
/// </summary>
public sealed class AuditPolicy
{
    // Decisions depend only on the rule (and the credentials cap): made once, not per request.
    private AuditPolicyDecision?[]? _decisions;

    public IReadOnlyList<AuditPolicyRule> Rules { get; init; } = [];
    public IReadOnlyList<AuditStage> OmitStages { get; init; } = [];
    public bool OmitManagedFields { get; init; }

    /// <summary>
    /// Used without a policy file: everything at Metadata (who did what to which object, and the answer),
    /// without the RequestReceived stage (each request gives one ResponseComplete event; watches and other
    /// long-running requests also a ResponseStarted one).
    /// </summary>
    public static readonly AuditPolicy Default = new()
    {
        Rules = [new AuditPolicyRule { Level = AuditLevel.Metadata }],
        OmitStages = [AuditStage.RequestReceived],
    };

    public AuditPolicyDecision Evaluate(UserInfo? user, RequestInfo info)
    {
        var rules = Rules;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (!rule.Matches(user, info)) continue;
            var capped = rule.Level > AuditLevel.Metadata && CarriesCredentials(info);
            return DecisionFor(i, rule, capped);
        }
        return AuditPolicyDecision.None;
    }

    private AuditPolicyDecision DecisionFor(int index, AuditPolicyRule rule, bool capped)
    {
        var cache = _decisions;
        if (cache == null || cache.Length != Rules.Count * 2)
            _decisions = cache = new AuditPolicyDecision?[Rules.Count * 2];
        ref var slot = ref cache[index * 2 + (capped ? 1 : 0)];
        if (slot != null) return slot;
        var omit = new HashSet<AuditStage>(OmitStages);
        omit.UnionWith(rule.OmitStages);
        return slot = new AuditPolicyDecision(capped ? AuditLevel.Metadata : rule.Level, omit, rule.OmitManagedFields ?? OmitManagedFields);
    }

    /// <summary>Requests whose bodies hold secret data or tokens.</summary>
    internal static bool CarriesCredentials(RequestInfo info) =>
        info.IsResourceRequest && (
            (info.Group == "" && info.Resource == "secrets") ||
            (info.Group == "authentication.k8s.io" && info.Resource == "tokenreviews") ||
            (info.Group == "" && info.Resource == "serviceaccounts" && info.Subresource == "token"));

    public static AuditPolicy Load(string path) =>
        ConfigFile.Load(path, "failed to read audit policy file", "loading audit policy file", Parse, (message, e) => new FormatException(message, e));

    /// <summary>Reads a Policy from YAML or JSON.</summary>
    /// <exception cref="FormatException">The text is not a valid Policy.</exception>
    public static AuditPolicy Parse(string text)
    {
        var obj = ConfigFile.Parse(text, "audit.k8s.io/v1", "Policy", (message, e) => new FormatException(message, e));
        var rules = new List<AuditPolicyRule>();
        var ruleNodes = obj["rules"] as JsonArray ?? [];
        for (var i = 0; i < ruleNodes.Count; i++)
            rules.Add(Rule(ruleNodes[i] as JsonObject ?? throw new FormatException($"rules[{i}]: Invalid value: must be an object"), $"rules[{i}]"));
        if (rules.Count == 0) throw new FormatException("rules: Required value: the policy has no rules");
        return new AuditPolicy
        {
            Rules = rules,
            OmitStages = Stages(obj["omitStages"], "omitStages"),
            OmitManagedFields = obj["omitManagedFields"] is JsonValue v && v.TryGetValue<bool>(out var b) && b,
        };
    }

    private static AuditPolicyRule Rule(JsonObject r, string path)
    {
        var levelText = Str(r["level"], path + ".level");
        if (!Enum.TryParse<AuditLevel>(levelText, ignoreCase: false, out var level) || levelText != level.ToString())
            throw new FormatException(levelText.Length == 0
                ? $"{path}.level: Required value"
                : $"{path}.level: Unsupported value: \"{levelText}\": supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\"");
        var resources = new List<AuditGroupResources>();
        var resourceNodes = r["resources"] as JsonArray ?? [];
        for (var i = 0; i < resourceNodes.Count; i++)
        {
            var gr = resourceNodes[i] as JsonObject ?? throw new FormatException($"{path}.resources[{i}]: Invalid value: must be an object");
            resources.Add(new AuditGroupResources(
                Str(gr["group"], $"{path}.resources[{i}].group"),
                Strings(gr["resources"], $"{path}.resources[{i}].resources"),
                Strings(gr["resourceNames"], $"{path}.resources[{i}].resourceNames")));
        }
        var rule = new AuditPolicyRule
        {
            Level = level,
            Users = Strings(r["users"], path + ".users"),
            UserGroups = Strings(r["userGroups"], path + ".userGroups"),
            Verbs = Strings(r["verbs"], path + ".verbs"),
            Resources = resources,
            Namespaces = Strings(r["namespaces"], path + ".namespaces"),
            NonResourceUrls = Strings(r["nonResourceURLs"], path + ".nonResourceURLs"),
            OmitStages = Stages(r["omitStages"], path + ".omitStages"),
            OmitManagedFields = r["omitManagedFields"] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null,
        };
        if (rule.NonResourceUrls.Count > 0 && (rule.Resources.Count > 0 || rule.Namespaces.Count > 0))
            throw new FormatException($"{path}.nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs");
        return rule;
    }

    private static List<AuditStage> Stages(JsonNode? node, string path)
    {
        var result = new List<AuditStage>();
        foreach (var s in Strings(node, path))
        {
            if (!Enum.TryParse<AuditStage>(s, ignoreCase: false, out var stage) || s != stage.ToString())
                throw new FormatException($"{path}: Unsupported value: \"{s}\": supported values: \"RequestReceived\", \"ResponseStarted\", \"ResponseComplete\", \"Panic\"");
            result.Add(stage);
        }
        return result;
    }

    private static List<string> Strings(JsonNode? node, string path)
    {
        if (node == null) return [];
        if (node is not JsonArray a) throw new FormatException($"{path}: Invalid value: must be a list of strings");
        return a.Select(n => Str(n, path)).ToList();
    }

    private static string Str(JsonNode? node, string path) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new FormatException($"{path}: Invalid value: must be a string"),
    };
}
