using System.Text.Json.Nodes;

namespace Anvil.Node.Volumes;

/// <summary>
/// Where the node reads the objects pods reference (the kubelet's configmap/secret/token managers). Get methods
/// return null when the object does not exist; other failures throw.
/// </summary>
public interface IPodObjectSource
{
    Task<JsonObject?> GetConfigMapAsync(string ns, string name, CancellationToken ct);
    Task<JsonObject?> GetSecretAsync(string ns, string name, CancellationToken ct);

    /// <summary>A token for the pod's service account bound to the pod (POST serviceaccounts/&lt;sa&gt;/token).</summary>
    Task<ServiceAccountToken> RequestTokenAsync(JsonObject pod, string serviceAccount, string audience, long expirationSeconds, CancellationToken ct);
}
