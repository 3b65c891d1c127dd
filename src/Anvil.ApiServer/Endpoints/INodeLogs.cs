namespace Anvil.ApiServer.Endpoints;

/// <summary>What <c>pods/log</c> asks of a node: the rendered log of one container.</summary>
public sealed record ContainerLogRequest(string Namespace, string Pod, string Container, bool Previous,
    long? TailLines, long? SinceSeconds, bool Timestamps, long? LimitBytes);

/// <summary>
/// A node's container logs, as the kubelet's <c>/containerLogs</c> endpoint serves them. Today the node agent
/// runs in the API server's process and registers itself here; a remote node will be reached over HTTPS
/// through the same seam. Returns null when the container has no log yet.
/// </summary>
public interface INodeLogs
{
    Task<string?> ReadAsync(ContainerLogRequest request, CancellationToken ct);

    /// <summary>
    /// The log as it grows (<c>follow=true</c>): the current content first, then new lines until the container
    /// stops or <paramref name="ct"/> is cancelled. Yields nothing when the container has no log yet.
    /// </summary>
    IAsyncEnumerable<string> FollowAsync(ContainerLogRequest request, CancellationToken ct);
}
