namespace Anvil.Node.Proxy;

/// <summary>One port of a Service with a ClusterIP and the ready endpoints behind it (podIP, resolved target port).</summary>
public sealed record ServicePort(string Namespace, string Name, string PortName, string ClusterIP, int Port, string Protocol,
    IReadOnlyList<(string IP, int Port)> Endpoints)
{
    /// <summary>"ns/name:port" as kube-proxy names a service port (the port name, empty for an unnamed one).</summary>
    public string Key => $"{Namespace}/{Name}:{PortName}";

    /// <summary>spec.ports[].nodePort of a NodePort or LoadBalancer Service; 0 for none.</summary>
    public int NodePort { get; init; }

    /// <summary>sessionAffinity ClientIP: how long a client stays with the endpoint it got; null for None.</summary>
    public int? AffinitySeconds { get; init; }

    /// <summary>
    /// internalTrafficPolicy Local: the endpoints on this node, the only ones cluster IP traffic goes to (null for
    /// Cluster). Node port traffic still uses all of <see cref="Endpoints"/> (externalTrafficPolicy Cluster).
    /// </summary>
    public IReadOnlyList<(string IP, int Port)>? LocalEndpoints { get; init; }
}
