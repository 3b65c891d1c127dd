namespace Anvil.ApiServer.Admission.Webhooks;

/// <summary>A webhook could not be called or answered nonsense (webhookutil.ErrCallingWebhook); subject to failurePolicy.</summary>
public sealed class WebhookCallException(string webhook, string reason) : Exception($"failed calling webhook \"{webhook}\": {reason}")
{
    public string Webhook { get; } = webhook;
}
