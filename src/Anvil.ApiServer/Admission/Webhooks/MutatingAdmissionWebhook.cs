using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Patches;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Admission.Webhooks;

/// <summary>
/// The MutatingAdmissionWebhook plugin: calls the matching webhooks of every MutatingWebhookConfiguration in
/// order, applying each JSONPatch response to the object before the next call. Webhooks with
/// <c>reinvocationPolicy: IfNeeded</c> are called once more when a later webhook changed the object.
/// </summary>
public sealed class MutatingAdmissionWebhook(WebhookConfigurationSource source, WebhookDispatcher dispatcher) : IAdmissionPlugin
{
    public string Name => "MutatingAdmissionWebhook";

    public async ValueTask MutateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        var webhooks = await source.WebhooksAsync(ct).ConfigureAwait(false);
        if (webhooks.Count == 0) return;
        var matching = await dispatcher.MatchingAsync(webhooks, a, ct).ConfigureAwait(false);
        if (matching.Count == 0) return;
        var lastChanged = -1;
        var reinvoke = new List<Webhook>();
        for (var i = 0; i < matching.Count; i++)
            if (await CallAsync(matching[i], a, ct).ConfigureAwait(false)) lastChanged = i;
        // rubber-stamp reinvocation: IfNeeded webhooks that ran before the last change see the result once more.
        for (var i = 0; i < lastChanged; i++)
            if (matching[i].ReinvokeIfNeeded) reinvoke.Add(matching[i]);
        foreach (var w in reinvoke) await CallAsync(w, a, ct).ConfigureAwait(false);
    }

    /// <summary>Calls one webhook and applies its patch; true when the object changed.</summary>
    private async Task<bool> CallAsync(Webhook w, AdmissionAttributes a, CancellationToken ct)
    {
        var response = await dispatcher.CallAsync(w, a, ct).ConfigureAwait(false);
        if (response == null || Str(response["patch"]) is not { Length: > 0 } encoded || a.Object == null) return false;
        var patchType = Str(response["patchType"]);
        if (patchType != "JSONPatch")
            throw StatusError.InternalError($"failed calling webhook \"{w.Name}\": unsupported patch type \"{patchType}\"");
        JsonArray ops;
        try
        {
            ops = JsonPatch.Parse(Convert.FromBase64String(encoded));
        }
        catch (Exception e) when (e is FormatException or StatusError)
        {
            throw StatusError.InternalError($"failed calling webhook \"{w.Name}\": {e.Message}");
        }
        JsonObject patched;
        try
        {
            patched = JsonPatch.Apply(a.Object, ops) as JsonObject ?? throw StatusError.InternalError("JSON Patch did not produce an object");
        }
        catch (StatusError e) when (e.Code != 500)
        {
            throw StatusError.InternalError($"JSON Patch: {e.Message}");
        }
        // Defaults apply to what the webhook added, as the object is decoded again upstream.
        a.Resource.Strategy.Default(patched);
        if (JsonNode.DeepEquals(patched, a.Object)) return false;
        // The caller holds a.Object: replace its content in place.
        a.Object.Clear();
        foreach (var (k, v) in patched.ToList())
        {
            patched.Remove(k);
            a.Object[k] = v;
        }
        return true;
    }
}
