using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Anvil.ApiServer;
using Anvil.ApiServer.Authorization;
using Anvil.Client;
using Anvil.Controllers.Deployment;
using Anvil.Controllers.Endpoints;
using Anvil.Controllers.ReplicaSet;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Controllers.Tests;

/// <summary>
/// An in-process API server on a temp dir and a free port, with the ReplicaSet, Deployment and Endpoints
/// controllers running against it as <c>system:kube-controller-manager</c>. One per test class; each test
/// works in its own namespace. There is no kubelet: <see cref="SimulatedKubeletReadyAsync"/> stands in for
/// one by writing pod status the way it would.
/// </summary>
public sealed class ControlPlane : IAsyncLifetime
{
    /// <summary>Bound for anything eventually consistent; never an assertion about speed.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("anvil-controllers-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private Task _controllers = Task.CompletedTask;
    private int _nextIp = 10;

    public ApiServerHost Host { get; private set; } = null!;
    public KubeClient Client { get; private set; } = null!;
    public ReplicaSetController ReplicaSets { get; private set; } = null!;
    public DeploymentController Deployments { get; private set; } = null!;
    public EndpointsController Endpoints { get; private set; } = null!;

    /// <summary>Requests this predicate matches are forbidden (to make writes fail as quota would).</summary>
    public Func<AuthorizationAttributes, bool> Deny { get; set; } = _ => false;

    public async Task InitializeAsync()
    {
        Host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = FreePort(), Bind = "127.0.0.1", DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" } });
        await Host.StartAsync(CancellationToken.None);
        Host.Authorizer = new TestAuthorizer(this);
        var (cert, key) = Host.Pki.IssueClientCertificate("system:kube-controller-manager", [], TimeSpan.FromDays(1));
        Client = KubeClient.FromPem(new Uri(Host.ServerUrl), Host.Pki.CaPem, cert, key, "kube-controller-manager");
        var log = NullLogger.Instance;
        ReplicaSets = new ReplicaSetController(Client, log);
        Deployments = new DeploymentController(Client, log);
        Endpoints = new EndpointsController(Client, log);
        _controllers = Task.WhenAll(ReplicaSets.RunAsync(2, _stop.Token), Deployments.RunAsync(2, _stop.Token), Endpoints.RunAsync(2, _stop.Token));
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        try { await _controllers.WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { }
        Client.Dispose();
        await Host.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private sealed class TestAuthorizer(ControlPlane plane) : IAuthorizer
    {
        public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes a, CancellationToken ct) =>
            ValueTask.FromResult(plane.Deny(a) ? new AuthorizationDecision(Decision.Deny, "denied by test") : new AuthorizationDecision(Decision.Allow));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async Task<string> NamespaceAsync(string name)
    {
        await Client.CreateAsync(ResourceRef.Namespaces, "", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = name } });
        return name;
    }

    public async Task<List<JsonObject>> ListAsync(ResourceRef r, string ns, string query = "") =>
        ((await Client.ListAsync(r, ns, query))["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    public Task<List<JsonObject>> PodsAsync(string ns) => ListAsync(Workloads.Pods, ns);

    /// <summary>
    /// Polls <paramref name="probe"/> until it returns a value, for at most <see cref="Timeout"/>; then fails
    /// with the last state <paramref name="describe"/> gives.
    /// </summary>
    public static async Task<T> EventuallyAsync<T>(string what, Func<Task<T?>> probe, Func<Task<string>>? describe = null) where T : class
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            if (await probe() is { } value) return value;
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"{what}: not reached within {Timeout.TotalSeconds:0} s" + (describe != null ? "\n" + await describe() : ""));
            await Task.Delay(100);
        }
    }

    public static Task EventuallyAsync(string what, Func<Task<bool>> probe, Func<Task<string>>? describe = null) =>
        EventuallyAsync<object>(what, async () => await probe() ? new object() : null, describe);

    /// <summary>
    /// Simulated kubelet status: what a node agent would report for a started pod — Running, Ready=True since
    /// now, and a pod IP. The edge of what this machine provides until Anvil has a node agent.
    /// </summary>
    public async Task<JsonObject> SimulatedKubeletReadyAsync(string ns, string pod, string? ip = null, DateTimeOffset? readySince = null)
    {
        ip ??= $"10.244.0.{Interlocked.Increment(ref _nextIp)}";
        var since = ObjectMeta.FormatTime(readySince ?? DateTimeOffset.UtcNow);
        var patch = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["podIP"] = ip,
                ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip }),
                ["conditions"] = new JsonArray(
                    new JsonObject { ["type"] = "Ready", ["status"] = "True", ["lastTransitionTime"] = since },
                    new JsonObject { ["type"] = "ContainersReady", ["status"] = "True", ["lastTransitionTime"] = since }),
            },
        };
        return await Client.PatchAsync(Workloads.Pods, ns, pod, patch, subresource: "status");
    }

    /// <summary>Simulated kubelet status for a pod that started but is not ready: Running with an IP.</summary>
    public Task<JsonObject> SimulatedKubeletRunningAsync(string ns, string pod, string ip) =>
        Client.PatchAsync(Workloads.Pods, ns, pod, new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["podIP"] = ip,
                ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip }),
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "False", ["lastTransitionTime"] = ObjectMeta.FormatTime(DateTimeOffset.UtcNow) }),
            },
        }, subresource: "status");

    /// <summary>Simulated kubelet: marks every pod of the namespace ready that is not yet.</summary>
    public async Task SimulatedKubeletReadyAllAsync(string ns)
    {
        foreach (var p in await PodsAsync(ns))
            if (!PodUtil.IsReady(p) && !ObjectMeta.IsDeleting(p))
            {
                try { await SimulatedKubeletReadyAsync(ns, ObjectMeta.Name(p)); }
                catch (ApiException e) when (e.IsNotFound) { }
            }
    }
}
