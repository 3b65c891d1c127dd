using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Anvil.ApiServer;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Anvil.Node.Logs;
using Anvil.Node.Pods;

namespace Anvil.Node.Tests;

/// <summary>
/// The node agent against an in-process API server, as <c>system:node:&lt;name&gt;</c> in <c>system:nodes</c>
/// (RBAC's bootstrap policy decides), running real containers.
/// </summary>
public sealed class NodeAgentTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly RuntimeFixture _rt = new();
    private readonly CancellationTokenSource _stop = new();
    private ApiServerHost _host = null!;
    private KubeClient _admin = null!;
    private KubeClient _nodeClient = null!;
    private NodeAgent _agent = null!;
    private Task _agentTask = Task.CompletedTask;
    private FailingStartRuntime _starts = null!;
    private string NodeName => "node-" + _rt.Prefix;

    public async Task InitializeAsync()
    {
        await _rt.InitializeAsync();
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        _host = new ApiServerHost(new ApiServerOptions { DataDir = Path.Combine(_rt.Dir, "server"), Port = port, Bind = "127.0.0.1", DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" } });
        await _host.StartAsync(CancellationToken.None);
        var (ac, ak) = _host.Pki.IssueClientCertificate("test-admin", ["system:masters"], TimeSpan.FromDays(1));
        _admin = KubeClient.FromPem(new Uri(_host.ServerUrl), _host.Pki.CaPem, ac, ak);
        if (RuntimeFixture.Unavailable != null) return;
        var (cert, key) = _host.Pki.IssueClientCertificate("system:node:" + NodeName, ["system:nodes"], TimeSpan.FromDays(1));
        _nodeClient = KubeClient.FromPem(new Uri(_host.ServerUrl), _host.Pki.CaPem, cert, key, "kubelet");
        _agent = new NodeAgent(_nodeClient, new NodeAgentOptions { DataDir = _rt.Dir, NodeName = NodeName, Runtime = FailingStartRuntime.Around(_rt.Runtime, out _starts), Images = _rt.Images }, new FileLogger(Path.Combine(Path.GetTempPath(), $"anvil-node-test-{_rt.Prefix}.log")));
        _agentTask = _agent.RunAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        try { await _agentTask.WaitAsync(TimeSpan.FromSeconds(20)); } catch (Exception) { }
        await _rt.DisposeAsync();
        _nodeClient?.Dispose();
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<T> EventuallyAsync<T>(string what, Func<Task<T?>> probe, Func<Task<string>> describe) where T : class
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            if (await probe() is { } v) return v;
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"{what}: not reached\n{await describe()}");
            await Task.Delay(200);
        }
    }

    private Task<JsonObject> CreatePodAsync(string name, string restartPolicy, string image, params string[] command) =>
        _admin.CreateAsync(NodeAgent.Pods, "default", Pod(name, restartPolicy, image, command));

    private JsonObject Pod(string name, string restartPolicy, string image, params string[] command)
    {
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["nodeName"] = NodeName,
                ["restartPolicy"] = restartPolicy,
                ["terminationGracePeriodSeconds"] = 1,
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "c",
                    ["image"] = image,
                    ["command"] = new JsonArray(command.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()),
                }),
            },
        };
    }

    private Task<JsonObject> PodWhenAsync(string name, Func<JsonObject, bool> done) =>
        EventuallyAsync(name, async () => await _admin.GetAsync(NodeAgent.Pods, "default", name) is var p && done(p) ? p : null,
            async () => (await _admin.GetAsync(NodeAgent.Pods, "default", name)).ToJsonString());

    private static JsonObject? State(JsonObject pod) => pod["status"]?["containerStatuses"]?[0]?["state"] as JsonObject;

    [Fact]
    public async Task RegistersNodeAndLease()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var node = await EventuallyAsync("node", async () =>
        {
            try { var n = await _admin.GetAsync(NodeAgent.Nodes, "", NodeName); return n["status"]?["nodeInfo"] != null ? n : null; }
            catch (ApiException e) when (e.IsNotFound) { return null; }
        }, () => Task.FromResult(""));
        Assert.Equal(NodeName, (string?)node["metadata"]!["labels"]!["kubernetes.io/hostname"]);
        Assert.Equal("v1.32.4", (string?)node["status"]!["nodeInfo"]!["kubeletVersion"]);
        Assert.StartsWith("runc://", (string?)node["status"]!["nodeInfo"]!["containerRuntimeVersion"]);
        Assert.Equal("110", (string?)node["status"]!["capacity"]!["pods"]);
        var ready = node["status"]!["conditions"]!.AsArray().OfType<JsonObject>().Single(c => (string?)c["type"] == "Ready");
        Assert.Equal(("True", "KubeletReady"), ((string?)ready["status"], (string?)ready["reason"]));
        var lease = await EventuallyAsync("lease", async () =>
        {
            try { return await _admin.GetAsync(NodeAgent.Leases, "kube-node-lease", NodeName); }
            catch (ApiException e) when (e.IsNotFound) { return null; }
        }, () => Task.FromResult(""));
        Assert.Equal(NodeName, (string?)lease["spec"]!["holderIdentity"]);
        Assert.Equal(40, (int)lease["spec"]!["leaseDurationSeconds"]!);
    }

    [Fact]
    public async Task CompletedPodWithLogs()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        await CreatePodAsync("done", "Never", "busybox", "sh", "-c", "echo hello; echo world");
        var pod = await PodWhenAsync("done", p => (string?)p["status"]?["phase"] == "Succeeded");
        var t = State(pod)!["terminated"]!;
        Assert.Equal((0, "Completed"), ((int)t["exitCode"]!, (string?)t["reason"]));
        Assert.StartsWith("runc://" + _rt.Prefix, (string?)pod["status"]!["containerStatuses"]![0]!["containerID"]);
        Assert.Equal("127.0.0.1", (string?)pod["status"]!["podIP"]);
        var ready = pod["status"]!["conditions"]!.AsArray().OfType<JsonObject>().Single(c => (string?)c["type"] == "Ready");
        Assert.Equal(("False", "PodCompleted"), ((string?)ready["status"], (string?)ready["reason"]));
        var logs = new ContainerLogReader(_agent.Runtime);
        var c = await logs.FindAsync("default", "done", "c", false, CancellationToken.None);
        Assert.NotNull(c);
        Assert.Equal("hello\nworld\n", string.Concat(await logs.ReadAsync(c!, new LogOptions(), false, CancellationToken.None).ToListAsync()));
        Assert.Equal("world\n", string.Concat(await logs.ReadAsync(c!, new LogOptions(TailLines: 1), false, CancellationToken.None).ToListAsync()));
    }

    [Fact]
    public async Task FailedPodIsError()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        await CreatePodAsync("fails", "Never", "busybox", "sh", "-c", "exit 1");
        var pod = await PodWhenAsync("fails", p => (string?)p["status"]?["phase"] == "Failed");
        var t = State(pod)!["terminated"]!;
        Assert.Equal((1, "Error"), ((int)t["exitCode"]!, (string?)t["reason"]));
    }

    [Fact]
    public async Task UnknownImageWaitsWithErrImageNeverPull()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var never = Pod("noimage", "Always", "example.org/nope:1", "true");
        never["spec"]!["containers"]![0]!["imagePullPolicy"] = "Never";
        await _admin.CreateAsync(NodeAgent.Pods, "default", never);
        var pod = await PodWhenAsync("noimage", p => State(p)?["waiting"]?["reason"] != null && (string?)State(p)!["waiting"]!["reason"] != "ContainerCreating");
        var w = State(pod)!["waiting"]!;
        Assert.Equal(("ErrImageNeverPull", "Container image \"example.org/nope:1\" is not present with pull policy of Never"), ((string?)w["reason"], (string?)w["message"]));
        Assert.Equal("Pending", (string?)pod["status"]!["phase"]);
    }

    [Fact]
    public async Task UnknownImageThatMayBePulledBacksOff()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        // The node pulls from its own store only: the attempt fails (ErrImagePull), then waits out the image back-off.
        await CreatePodAsync("pullme", "Always", "example.org/nope:1", "true");
        var pod = await PodWhenAsync("pullme", p => (string?)State(p)?["waiting"]?["reason"] == "ImagePullBackOff");
        Assert.Equal("Back-off pulling image \"example.org/nope:1\"", (string?)State(pod)!["waiting"]!["message"]);
        Assert.Equal("Pending", (string?)pod["status"]!["phase"]);
    }

    [Fact]
    public async Task CrashLoopBackOff()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var created = await CreatePodAsync("crash", "Always", "busybox", "sh", "-c", "exit 2");
        var pod = await PodWhenAsync("crash", p => (string?)State(p)?["waiting"]?["reason"] == "CrashLoopBackOff");
        var s = pod["status"]!["containerStatuses"]![0]!;
        Assert.Equal($"back-off 10s restarting failed container=c pod=crash_default({ObjectMeta.Uid(created)})", (string?)s["state"]!["waiting"]!["message"]);
        Assert.Equal(1, (int)s["restartCount"]!);
        Assert.Equal(2, (int)s["lastState"]!["terminated"]!["exitCode"]!);
        Assert.Equal("Running", (string?)pod["status"]!["phase"]);
    }

    [Fact]
    public async Task ContainerWhoseStartFailed_IsStartedAgainByTheNextSync()
    {
        if (RuntimeFixture.Unavailable != null) return;
        _starts.FailStarts = 1;
        await CreatePodAsync("restart", "Always", "busybox", "sleep", "3600");

        // The first start fails and leaves a created container; it used to stay ContainerCreating for ever.
        var pod = await PodWhenAsync("restart", p => State(p)?["running"] != null);

        Assert.Equal("Running", (string?)pod["status"]?["phase"]);
        var events = await _admin.ListAsync(new Anvil.Client.ResourceRef("", "v1", "events", true), "default", "fieldSelector=involvedObject.name%3Drestart");
        Assert.Contains((events["items"] as JsonArray ?? []).OfType<JsonObject>(), e => (string?)e["message"] is { } m && m.Contains("exec fifo", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunningPodIsNotPatchedWhileNothingChanges()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        await CreatePodAsync("steady", "Always", "busybox", "sleep", "3600");
        var pod = await PodWhenAsync("steady", p => (string?)p["status"]?["phase"] == "Running");
        // The worker resyncs every second; over three of them nothing changed, so nothing is sent. The audit log shows
        // patches that change nothing too, which the object's resourceVersion does not.
        int StatusPatches() => File.ReadLines(Path.Combine(_rt.Dir, "server", "audit.log"))
            .Count(l => l.Contains("\"verb\":\"patch\"", StringComparison.Ordinal) && l.Contains("/pods/steady/status", StringComparison.Ordinal) && l.Contains("\"ResponseComplete\"", StringComparison.Ordinal));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var before = StatusPatches();
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        Assert.Equal(before, StatusPatches());
        Assert.Equal(ObjectMeta.ResourceVersion(pod), ObjectMeta.ResourceVersion(await _admin.GetAsync(NodeAgent.Pods, "default", "steady")));
    }

    [Fact]
    public async Task RunningPodIsStoppedAndDeleted()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        await CreatePodAsync("runs", "Always", "busybox", "sleep", "3600");
        var pod = await PodWhenAsync("runs", p => (string?)p["status"]?["phase"] == "Running");
        Assert.NotNull(State(pod)!["running"]!["startedAt"]);
        Assert.True((bool)pod["status"]!["containerStatuses"]![0]!["ready"]!);
        await _admin.DeleteAsync(NodeAgent.Pods, "default", "runs");
        await EventuallyAsync("pod gone", async () =>
        {
            try { await _admin.GetAsync(NodeAgent.Pods, "default", "runs"); return null; }
            catch (ApiException e) when (e.IsNotFound) { return new object(); }
        }, () => Task.FromResult(""));
        // The worker deletes the object first, then removes the containers and the pod's volume directory.
        await EventuallyAsync("containers removed", async () =>
            (await _rt.Runtime.ListContainersAsync(ObjectMeta.Uid(pod), CancellationToken.None)).Count == 0 ? new object() : null, () => Task.FromResult(""));
    }
}
