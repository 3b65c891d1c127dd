using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Anvil.ApiServer;
using Anvil.Client;
using Anvil.Controllers.Disruption;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Scheduler.Tests;

/// <summary>
/// An in-process API server on a temporary data dir and free port, with the scheduler and the disruption
/// controller running against it as their own users. Nodes are plain Node objects (no agent).
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly ResourceRef Pods = Scheduler.Pods;
    public static readonly ResourceRef Nodes = Scheduler.Nodes;
    public static readonly ResourceRef Events = new("", "v1", "events", true);
    public static readonly ResourceRef Pdbs = DisruptionController.PodDisruptionBudgets;

    private readonly string _dir = Directory.CreateTempSubdirectory("anvil-sched-test-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private ApiServerHost? _server;
    private KubeClient? _schedulerClient;
    private KubeClient? _controllerClient;
    private Task _running = Task.CompletedTask;
    private Scheduler? _scheduler;

    public KubeClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            _server = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = FreePort(), Bind = "127.0.0.1", DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" } });
            try
            {
                await _server.StartAsync(CancellationToken.None);
                break;
            }
            catch (IOException) when (attempt < 3)
            {
                await _server.DisposeAsync();
            }
        }
        var (cert, key) = _server.Pki.IssueClientCertificate("admin", ["system:masters"], TimeSpan.FromDays(1));
        Admin = KubeClient.FromPem(new Uri(_server.ServerUrl), _server.Pki.CaPem, cert, key, "scheduler-tests");
        var (scert, skey) = _server.Pki.IssueClientCertificate("system:kube-scheduler", [], TimeSpan.FromDays(1));
        _schedulerClient = KubeClient.FromPem(new Uri(_server.ServerUrl), _server.Pki.CaPem, scert, skey, "kube-scheduler");
        _scheduler = new Scheduler(_schedulerClient, NullLogger.Instance);
        // Each component under its own identity, as anvil up runs them (RBAC grants them different rights).
        var (ccert, ckey) = _server.Pki.IssueClientCertificate("system:kube-controller-manager", [], TimeSpan.FromDays(1));
        _controllerClient = KubeClient.FromPem(new Uri(_server.ServerUrl), _server.Pki.CaPem, ccert, ckey, "kube-controller-manager");
        var disruption = new DisruptionController(_controllerClient, NullLogger.Instance);
        _running = Task.WhenAll(_scheduler.RunAsync(_stop.Token), disruption.RunAsync(1, _stop.Token));
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        try { await _running.WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
        Admin.Dispose();
        _controllerClient?.Dispose();
        _schedulerClient?.Dispose();
        if (_server != null) await _server.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>Replaces every Node with the given ones.</summary>
    public async Task SetNodesAsync(params JsonObject[] nodes)
    {
        var existing = await Admin.ListAsync(Nodes);
        foreach (var n in (existing["items"] as JsonArray ?? []).OfType<JsonObject>())
            await Admin.DeleteAsync(Nodes, "", ObjectMeta.Name(n));
        foreach (var n in nodes) await Admin.CreateAsync(Nodes, "", n);
        await SchedulerSeesAsync([.. nodes.Select(n => (ObjectMeta.Name(n), (bool?)n["spec"]?["unschedulable"] == true))]);
    }

    /// <summary>Waits until the scheduler's cache holds exactly these nodes, so a test's pods meet the state it set up.</summary>
    public Task SchedulerSeesAsync(params (string Name, bool Unschedulable)[] expected) =>
        EventuallyAsync("scheduler cache", () =>
        {
            var cached = _scheduler!.CachedNodes();
            var same = cached.OrderBy(n => n.Name, StringComparer.Ordinal).SequenceEqual(expected.OrderBy(n => n.Name, StringComparer.Ordinal));
            return Task.FromResult<(object?, string)>((same ? new object() : null, string.Join(", ", cached)));
        });

    public async Task<string> NamespaceAsync(string name)
    {
        await Admin.CreateAsync(ResourceRef.Namespaces, "", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = name } });
        return name;
    }

    /// <summary>Polls until <paramref name="probe"/> returns a value (at most about 30 s), else fails with the last state.</summary>
    public static async Task<T> EventuallyAsync<T>(string what, Func<Task<(T? Value, string State)>> probe) where T : class
    {
        var state = "";
        for (var i = 0; i < 150; i++)
        {
            (var value, state) = await probe();
            if (value != null) return value;
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException($"{what}: not reached. Last state:\n{state}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
