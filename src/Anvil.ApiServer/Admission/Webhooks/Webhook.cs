using System.Text.Json.Nodes;
using Anvil.Machinery.Selectors;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Admission.Webhooks;

/// <summary>One webhook of a Mutating- or ValidatingWebhookConfiguration, read once per stored version.</summary>
public sealed record Webhook
{
    public required string Name { get; init; }
    public required string ConfigurationName { get; init; }
    public string? Url { get; init; }
    public string ServiceNamespace { get; init; } = "";
    public string ServiceName { get; init; } = "";
    public string ServicePath { get; init; } = "";
    public int ServicePort { get; init; } = 443;
    public string CaBundle { get; init; } = "";
    public IReadOnlyList<WebhookRule> Rules { get; init; } = [];
    public bool FailOpen { get; init; }
    public LabelSelector NamespaceSelector { get; init; } = LabelSelector.Everything;
    public LabelSelector ObjectSelector { get; init; } = LabelSelector.Everything;
    public string SideEffects { get; init; } = "Unknown";
    public int TimeoutSeconds { get; init; } = 10;
    public bool ReinvokeIfNeeded { get; init; }
    public bool HasMatchConditions { get; init; }

    /// <summary>Whether the webhook may be called for dry-run requests (sideEffects None or NoneOnDryRun).</summary>
    public bool SupportsDryRun => SideEffects is "None" or "NoneOnDryRun";

    /// <summary>The URL requests go to: <c>clientConfig.url</c>, or <c>https://&lt;service&gt;.&lt;namespace&gt;.svc:&lt;port&gt;&lt;path&gt;</c>.</summary>
    public string Target => Url ?? $"https://{ServiceName}.{ServiceNamespace}.svc:{ServicePort}{ServicePath}";

    public static IEnumerable<Webhook> FromConfiguration(JsonObject configuration)
    {
        var configName = Str(configuration["metadata"]?["name"]) ?? "";
        foreach (var w in (configuration["webhooks"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var cc = w["clientConfig"] as JsonObject;
            var svc = cc?["service"] as JsonObject;
            yield return new Webhook
            {
                Name = Str(w["name"]) ?? "",
                ConfigurationName = configName,
                Url = Str(cc?["url"]),
                ServiceNamespace = Str(svc?["namespace"]) ?? "",
                ServiceName = Str(svc?["name"]) ?? "",
                ServicePath = Str(svc?["path"]) ?? "",
                ServicePort = (int)(Int(svc?["port"]) ?? 443),
                CaBundle = Str(cc?["caBundle"]) ?? "",
                Rules = (w["rules"] as JsonArray ?? []).OfType<JsonObject>().Select(WebhookRule.From).ToList(),
                FailOpen = Str(w["failurePolicy"]) == "Ignore",
                NamespaceSelector = w["namespaceSelector"] is JsonObject ns ? LabelSelector.FromLabelSelectorJson(ns) : LabelSelector.Everything,
                ObjectSelector = w["objectSelector"] is JsonObject os ? LabelSelector.FromLabelSelectorJson(os) : LabelSelector.Everything,
                SideEffects = Str(w["sideEffects"]) ?? "Unknown",
                TimeoutSeconds = Math.Clamp((int)(Int(w["timeoutSeconds"]) ?? 10), 1, 30),
                ReinvokeIfNeeded = Str(w["reinvocationPolicy"]) == "IfNeeded",
                HasMatchConditions = w["matchConditions"] is JsonArray { Count: > 0 },
            };
        }
    }
}
