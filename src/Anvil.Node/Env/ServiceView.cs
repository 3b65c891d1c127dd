using System.Text.Json.Nodes;
using Anvil.Client;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.Env;

/// <summary>
/// The node's watch-fed view of all Services (the kubelet's service lister), for the Service variables containers
/// start with (<see cref="ServiceEnv"/>). Separate from the proxy's, which does not run everywhere the agent does.
/// </summary>
public sealed class ServiceView(KubeClient client, ILogger log)
{
    /// <summary>How long a container start waits for the first list before it fails as the kubelet's does.</summary>
    public static readonly TimeSpan SyncWait = TimeSpan.FromSeconds(10);

    private readonly Informer _informer = new(client, Proxy.ServiceProxy.Services, log);

    /// <summary>Lists and watches until cancelled (NodeAgent.RunAsync runs it).</summary>
    public Task RunAsync(CancellationToken ct) => _informer.RunAsync(ct);

    /// <summary>
    /// The Services now known (callers must not mutate them); before the first list has arrived it waits up to
    /// <see cref="SyncWait"/>, then throws the kubelet's CreateContainerConfigError text.
    /// </summary>
    public async Task<IReadOnlyCollection<JsonObject>> ListAsync(CancellationToken ct)
    {
        if (!_informer.HasSynced)
        {
            try { await _informer.WaitForSyncAsync(ct).WaitAsync(SyncWait, ct).ConfigureAwait(false); }
            catch (TimeoutException) { throw new ContainerConfigException("services have not yet been read at least once, cannot construct envvars"); }
        }
        return _informer.List();
    }
}
