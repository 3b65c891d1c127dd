namespace Anvil.ApiServer.Admission.Webhooks;

/// <summary>
/// The ValidatingAdmissionWebhook plugin: calls the matching webhooks of every ValidatingWebhookConfiguration in
/// parallel; the request fails with the first webhook (in configuration order) that denied it or failed under
/// failurePolicy Fail.
/// </summary>
public sealed class ValidatingAdmissionWebhook(WebhookConfigurationSource source, WebhookDispatcher dispatcher) : IAdmissionPlugin
{
    public string Name => "ValidatingAdmissionWebhook";

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        var webhooks = await source.WebhooksAsync(ct).ConfigureAwait(false);
        if (webhooks.Count == 0) return;
        var matching = await dispatcher.MatchingAsync(webhooks, a, ct).ConfigureAwait(false);
        if (matching.Count == 0) return;
        var calls = matching.Select(w => dispatcher.CallAsync(w, a, ct)).ToList();
        try
        {
            await Task.WhenAll(calls).ConfigureAwait(false);
        }
        catch
        {
            // Report the first failure in webhook order, not the first to finish.
            foreach (var call in calls)
                if (call.IsFaulted && call.Exception?.InnerException is { } e) throw e;
            throw;
        }
    }
}
