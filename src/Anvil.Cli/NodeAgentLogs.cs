using Anvil.ApiServer.Endpoints;
using Anvil.Node.Logs;
using Anvil.Node.Pods;

namespace Anvil.Cli;

/// <summary>The in-process node agent as the API server's log source for its node.</summary>
internal sealed class NodeAgentLogs(NodeAgent agent) : INodeLogs
{
    public Task<string?> ReadAsync(ContainerLogRequest r, CancellationToken ct) =>
        agent.ReadLogAsync(r.Namespace, r.Pod, r.Container, r.Previous, new LogOptions(r.TailLines, r.SinceSeconds, r.Timestamps, r.LimitBytes), ct);
}
