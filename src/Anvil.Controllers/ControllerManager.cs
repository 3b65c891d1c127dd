using Anvil.Client;
using Anvil.Controllers.Deployment;
using Anvil.Controllers.Endpoints;
using Anvil.Controllers.EndpointSlice;
using Anvil.Controllers.CronJob;
using Anvil.Controllers.GarbageCollector;
using Anvil.Controllers.Job;
using Anvil.Controllers.Namespace;
using Anvil.Controllers.NodeLifecycle;
using Anvil.Controllers.ReplicaSet;
using Anvil.Controllers.PodGC;
using Anvil.Controllers.ResourceQuota;
using Anvil.Controllers.TtlAfterFinished;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers;

/// <summary>Runs the control loops of kube-controller-manager that Anvil has, as clients of the API.</summary>
public static class ControllerManager
{
    /// <param name="serviceAccounts">Runs the serviceaccount, root-ca-cert-publisher and token controllers; null: not.</param>
    public static Task RunAsync(KubeClient client, ILoggerFactory logs, CancellationToken ct, ServiceAccount.ServiceAccountControllerOptions? serviceAccounts = null)
    {
        // One informer per resource for all controllers, reading as the controller manager (its role may list and
        // watch everything); controllers that write as their own service accounts still read through these.
        var informers = new InformerFactory(client, logs.CreateLogger("shared-informers"));
        var namespaces = new NamespaceController(client, logs.CreateLogger("namespace-controller"), informers);
        var gc = new GarbageCollector.GarbageCollector(client, logs.CreateLogger("garbage-collector"), informers);
        var replicaSets = new ReplicaSetController(client, logs.CreateLogger("replicaset-controller"), informers: informers);
        var deployments = new DeploymentController(client, logs.CreateLogger("deployment-controller"), informers: informers);
        var endpoints = new EndpointsController(client, logs.CreateLogger("endpoint-controller"), informers);
        var endpointSlices = new EndpointSliceController(client, logs.CreateLogger("endpointslice-controller"), informers);
        var jobs = new JobController(client, logs.CreateLogger("job-controller"), informers: informers);
        var cronJobs = new CronJobController(client, logs.CreateLogger("cronjob-controller"), informers: informers);
        var podGc = new PodGCController(client, logs.CreateLogger("pod-garbage-collector"), informers: informers);
        var disruption = new Disruption.DisruptionController(client, logs.CreateLogger("disruption-controller"), informers: informers);
        var ttl = new TtlAfterFinishedController(client, logs.CreateLogger("ttl-after-finished-controller"), informers: informers);
        var nodeLifecycle = new NodeLifecycleController(client, logs.CreateLogger("node-lifecycle-controller"), informers: informers);
        // Every controller attaches its handlers before any shared informer starts, so none misses an event.
        var serviceAccountControllers = new List<Controller>();
        if (serviceAccounts != null)
        {
            serviceAccountControllers.Add(new ServiceAccount.ServiceAccountsController(client, serviceAccounts.ClientFor("service-account-controller"),
                logs.CreateLogger("serviceaccount-controller"), informers));
            serviceAccountControllers.Add(new ServiceAccount.RootCaCertPublisher(client, serviceAccounts.ClientFor("root-ca-cert-publisher"), serviceAccounts.RootCaPem,
                logs.CreateLogger("root-ca-cert-publisher"), informers));
            if (serviceAccounts.TokenSigningKey != null)
                serviceAccountControllers.Add(new ServiceAccount.TokensController(client, serviceAccounts.TokenSigningKey, serviceAccounts.RootCaPem,
                    logs.CreateLogger("serviceaccount-token-controller"), informers));
        }
        // Writes as its own service account; reads through the shared informers.
        var quotas = new ResourceQuotaController(serviceAccounts?.ClientFor("resourcequota-controller") ?? client, logs.CreateLogger("resourcequota-controller"), informers: informers);
        // Worker counts are kube-controller-manager's defaults (--concurrent-*-syncs).
        return Task.WhenAll(
            Task.WhenAll(serviceAccountControllers.Select(c => c.RunAsync(1, ct))),
            namespaces.RunAsync(2, ct),
            gc.StartAsync(2, ct),
            replicaSets.RunAsync(2, ct),
            deployments.RunAsync(2, ct),
            endpoints.RunAsync(2, ct),
            endpointSlices.RunAsync(5, ct),
            jobs.RunAsync(5, ct),
            cronJobs.RunAsync(5, ct),
            podGc.RunAsync(1, ct),
            ttl.RunAsync(5, ct),
            nodeLifecycle.RunAsync(1, ct),
            disruption.RunAsync(2, ct),
            quotas.RunAsync(5, ct));
    }
}
