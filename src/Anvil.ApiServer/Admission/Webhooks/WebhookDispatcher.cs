using System.Text.Json.Nodes;
using Anvil.ApiServer.Caching;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Admission.Webhooks;

/// <summary>
/// What the mutating and validating webhook plugins share (admission/plugin/webhook/generic): which webhooks a
/// request matches (rules, namespaceSelector, objectSelector), the dry-run rule, the call with failurePolicy, and
/// turning a denial into the API error.
/// </summary>
public sealed class WebhookDispatcher(Func<ResourceStore> store, Func<ResourceCatalog> catalog, WebhookClient client, ObjectCaches? caches = null)
{
    public ILogger? Log { get; set; }

    /// <summary>The webhooks of <paramref name="webhooks"/> that this request must be sent to.</summary>
    public async Task<List<Webhook>> MatchingAsync(IReadOnlyList<Webhook> webhooks, AdmissionAttributes a, CancellationToken ct)
    {
        var result = new List<Webhook>();
        if (webhooks.Count == 0 || AdmissionReview.IsExempt(a.Resource)) return result;
        var operation = AdmissionReview.Operation(a.Operation);
        var def = a.Resource;
        var isNamespace = def.Group.Length == 0 && def.Resource == "namespaces";
        IReadOnlyDictionary<string, string>? namespaceLabels = null;
        foreach (var w in webhooks)
        {
            if (!w.Rules.Any(r => r.Matches(operation, def.Group, def.Version, def.Resource, a.Subresource, a.Namespace, isNamespace))) continue;
            if (!w.NamespaceSelector.IsEmpty)
            {
                if (isNamespace)
                {
                    if (!w.NamespaceSelector.Matches(Labels(a.Object ?? a.OldObject))) continue;
                }
                else if (a.Namespace.Length > 0)
                {
                    namespaceLabels ??= await NamespaceLabelsAsync(a.Namespace, ct).ConfigureAwait(false);
                    if (!w.NamespaceSelector.Matches(namespaceLabels)) continue;
                }
            }
            if (!w.ObjectSelector.IsEmpty
                && !w.ObjectSelector.Matches(Labels(a.Object)) && !w.ObjectSelector.Matches(Labels(a.OldObject))) continue;
            result.Add(w);
        }
        return result;
    }

    private static Dictionary<string, string> Labels(JsonObject? obj) =>
        StringMap(obj?["metadata"]?["labels"]).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private async Task<IReadOnlyDictionary<string, string>> NamespaceLabelsAsync(string ns, CancellationToken ct)
    {
        if (caches?.Find("", "namespaces")?.Get("", ns) is { } cached) return Labels(cached);
        var def = catalog().Find("", "v1", "namespaces");
        if (def == null) return new Dictionary<string, string>();
        var got = await store().TryGetAsync(def, "", ns, ct).ConfigureAwait(false);
        return Labels(got?.Object);
    }

    /// <summary>
    /// Sends the review and returns the webhook's response, or null when the call failed and failurePolicy is
    /// Ignore. Throws the API errors upstream returns: 400 for a dry run the webhook cannot take, 500 for a failed
    /// call under Fail, and the denial.
    /// </summary>
    public async Task<JsonObject?> CallAsync(Webhook w, AdmissionAttributes a, CancellationToken ct)
    {
        if (a.DryRun && !w.SupportsDryRun)
            throw StatusError.BadRequest($"admission webhook \"{w.Name}\" does not support dry run");
        var review = AdmissionReview.Build(a, Guid.NewGuid().ToString());
        JsonObject response;
        try
        {
            response = await client.CallAsync(w, review, ct).ConfigureAwait(false);
        }
        catch (WebhookCallException e)
        {
            if (w.FailOpen)
            {
                Log?.LogWarning("webhook={Webhook} failurePolicy=Ignore error={Error}", w.Name, e.Message);
                return null;
            }
            throw StatusError.InternalError(e.Message);
        }
        foreach (var warning in (response["warnings"] as JsonArray ?? []).Select(Str).OfType<string>())
            if (warning.Length > 0) lock (a.Warnings) a.Warnings.Add(warning);
        if (Bool(response["allowed"]) != true) throw Denied(w.Name, response["status"] as JsonObject);
        return response;
    }

    /// <summary>webhookerrors.ToStatusErr: the webhook's status, at least 400, with the webhook named in the message.</summary>
    public static StatusError Denied(string webhook, JsonObject? status)
    {
        var deniedBy = $"admission webhook \"{webhook}\" denied the request";
        var code = (int)(Int(status?["code"]) ?? 0);
        if (code < 400) code = 400;
        var reason = Str(status?["reason"]) ?? "";
        var message = Str(status?["message"]) is { Length: > 0 } m ? $"{deniedBy}: {m}"
            : reason.Length > 0 ? $"{deniedBy}: {reason}" : $"{deniedBy} without explanation";
        var details = status?["details"] as JsonObject;
        return new StatusError(code, reason, message)
        {
            DetailsName = Str(details?["name"]),
            DetailsGroup = Str(details?["group"]),
            DetailsKind = Str(details?["kind"]),
            Causes = (details?["causes"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(c => new StatusCause(Str(c["reason"]) ?? "", Str(c["message"]) ?? "", Str(c["field"]) ?? "")).ToList(),
        };
    }
}
