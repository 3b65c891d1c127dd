using Anvil.Client;
using Anvil.Controllers.Deployment;
using Anvil.Controllers.Endpoints;
using Anvil.Controllers.GarbageCollector;
using Anvil.Controllers.Namespace;
using Anvil.Controllers.ReplicaSet;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers;

/// <summary>Runs the control loops of kube-controller-manager that Anvil has, as clients of the API.</summary>
public static class ControllerManager
{
    public static Task RunAsync(KubeClient client, ILoggerFactory logs, CancellationToken ct)
    {
        var namespaces = new NamespaceController(client, logs.CreateLogger("namespace-controller"));
        var gc = new GarbageCollector.GarbageCollector(client, logs.CreateLogger("garbage-collector"));
        var replicaSets = new ReplicaSetController(client, logs.CreateLogger("replicaset-controller"));
        var deployments = new DeploymentController(client, logs.CreateLogger("deployment-controller"));
        var endpoints = new EndpointsController(client, logs.CreateLogger("endpoint-controller"));
        return Task.WhenAll(
            namespaces.RunAsync(2, ct),
            gc.StartAsync(2, ct),
            replicaSets.RunAsync(2, ct),
            deployments.RunAsync(2, ct),
            endpoints.RunAsync(2, ct));
    }
}
