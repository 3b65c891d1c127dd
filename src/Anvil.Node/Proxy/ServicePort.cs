namespace Anvil.Node.Proxy;

/// <summary>One port of a Service with a ClusterIP and the ready endpoints behind it (podIP, resolved target port).</summary>
public sealed record ServicePort(string Namespace, string Name, string PortName, string ClusterIP, int Port, string Protocol,
    IReadOnlyList<(string IP, int Port)> Endpoints)
{
    /// <summary>"ns/name:port" as kube-proxy names a service port (the port name, empty for an unnamed one).</summary>
    public string Key => $"{Namespace}/{Name}:{PortName}";
}
