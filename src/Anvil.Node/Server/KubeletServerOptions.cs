using System.Security.Cryptography.X509Certificates;

namespace Anvil.Node.Server;

/// <summary>Where and how the kubelet's HTTPS server listens, and whom it serves.</summary>
public sealed class KubeletServerOptions
{
    /// <summary>The address to listen on (the node's InternalIP).</summary>
    public string Bind { get; init; } = "127.0.0.1";

    /// <summary>The port (<c>--kubelet-port</c>, 10250 as the kubelet's); 0 picks a free one.</summary>
    public int Port { get; init; } = 10250;

    /// <summary>The serving certificate with its key, issued by the cluster CA.</summary>
    public required X509Certificate2 ServingCertificate { get; init; }

    /// <summary>The CA client certificates must chain to.</summary>
    public required X509Certificate2 ClientCa { get; init; }

    /// <summary>Client certificate CNs allowed to use the API (the API server's kubelet client identity).</summary>
    public IReadOnlySet<string> AllowedUsers { get; init; } = new HashSet<string>(StringComparer.Ordinal) { KubeletServer.ApiServerClientName };
}
