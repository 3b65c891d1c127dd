using Anvil.Client;
using Anvil.Controllers.GarbageCollector;
using Anvil.Controllers.Namespace;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers;

/// <summary>Runs the control loops of kube-controller-manager that Anvil has, as clients of the API.</summary>
public static class ControllerManager
{
    public static Task RunAsync(KubeClient client, ILoggerFactory logs, CancellationToken ct)
    {
        var namespaces = new NamespaceController(client, logs.CreateLogger("namespace-controller"));
        var gc = new GarbageCollector.GarbageCollector(client, logs.CreateLogger("garbage-collector"));
        var disruption = new Disruption.DisruptionController(client, logs.CreateLogger("disruption-controller"));
        return Task.WhenAll(
            namespaces.RunAsync(2, ct),
            gc.StartAsync(2, ct),
            disruption.RunAsync(2, ct));
    }
}
