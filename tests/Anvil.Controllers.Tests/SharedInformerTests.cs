using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Controllers.Job;
using Anvil.Controllers.ReplicaSet;
using Anvil.Controllers.Tests.Harness;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Tests;

/// <summary>
/// Controllers given one <see cref="InformerFactory"/> share its informers (kube-controller-manager's shared
/// informers): one pod watch on the server for all of them, each still doing its job, none changing what the others see.
/// </summary>
public sealed class SharedInformerTests(ApiServerFixture server) : ControllerTest(server), IClassFixture<ApiServerFixture>
{
    private static readonly ResourceRef ConfigMaps = new("", "v1", "configmaps", true);
    private readonly string _userAgent = "shared-informers-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task ReplicaSetJobAndGarbageCollector_OnOneFactory_HoldOnePodWatch_AndAllDoTheirJob()
    {
        using var client = Server.NewClient(_userAgent);
        var factory = new InformerFactory(client, Log);
        var delivered = RecordDeliveries(factory, Workloads.Pods, Workloads.ReplicaSets, Jobs);
        var ns = await Server.NamespaceAsync("shared");
        await Client.CreateAsync(Workloads.ReplicaSets, ns, Parse("""
            {"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web"},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}
            """));
        await Client.CreateAsync(Jobs, ns, Parse("""
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once"},
             "spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}
            """));
        var replicaSets = new ReplicaSetController(client, Log, informers: factory);
        var jobs = new JobController(client, Log, informers: factory);
        Run(ct => replicaSets.RunAsync(2, ct));
        Run(ct => jobs.RunAsync(2, ct));

        // Both see pods through the one informer: the ReplicaSet counts its two, the Job completes on its pod's success.
        await WaitForAsync(Workloads.ReplicaSets, ns, "web", "replicas=2", rs => (int?)rs["status"]?["replicas"] == 2);
        var jobPod = (await WaitForPodsAsync(ns, "once", "one pod", p => p.Count == 1))[0];
        await SimulatedKubelet.SucceedAsync(Client, jobPod);
        await WaitForAsync(Jobs, ns, "once", "Complete", j => Condition(j, "Complete") == "True");

        // The garbage collector joins running informers: it learns of the pods that exist from the replay, so
        // deleting the ReplicaSet takes its pods along.
        var gc = new GarbageCollector.GarbageCollector(client, Log, factory);
        Run(ct => gc.StartAsync(1, ct));
        await Eventually.UntilAsync("the garbage collector synced", () => Task.FromResult(factory.For(ResourceRef.Namespaces).HasSynced));
        await Client.DeleteAsync(Workloads.ReplicaSets, ns, "web");
        await Eventually.UntilAsync("the ReplicaSet's pods deleted", async () =>
            (await ListAsync(Pods, ns, "labelSelector=app%3Dweb")).All(ObjectMeta.IsDeleting),
            async () => string.Join("\n", (await ListAsync(Pods, ns, "labelSelector=app%3Dweb")).Select(ObjectMeta.Name)));

        var watches = await WatchesAsync(client);
        Assert.Equal(1, watches.GetValueOrDefault("pods"));
        Assert.Equal(1, watches.GetValueOrDefault("replicasets"));
        Assert.Equal(1, watches.GetValueOrDefault("jobs"));

        // What the informers handed out is as the server sent it: no controller changed a shared object.
        Assert.NotEmpty(delivered);
        foreach (var (obj, json) in delivered) Assert.Equal(json, obj.ToJsonString());
    }

    [Fact]
    public async Task AddEventHandler_OnASyncedInformer_ReplaysWhatIsCached()
    {
        using var client = Server.NewClient(_userAgent);
        var factory = new InformerFactory(client, Log);
        var ns = await Server.NamespaceAsync("replay");
        await Client.CreateAsync(Pods, ns, Parse("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}"""));
        var informer = factory.For(Pods, ns);
        Run(informer.RunAsync);
        await informer.WaitForSyncAsync(CancellationToken.None);

        var added = new List<string>();
        informer.AddEventHandler(o => added.Add(ObjectMeta.Name(o)));

        Assert.Equal(["p"], added);
    }

    [Fact]
    public async Task AHandlerThatThrows_KeepsNeitherTheOtherHandlersNorTheWatchFromEvents()
    {
        using var client = Server.NewClient(_userAgent);
        var factory = new InformerFactory(client, Log);
        var ns = await Server.NamespaceAsync("throws");
        var informer = factory.For(Pods, ns);
        var seen = new ConcurrentQueue<string>();
        informer.Added += _ => throw new InvalidOperationException("a controller's bug");
        informer.Added += o => seen.Enqueue(ObjectMeta.Name(o));
        Run(informer.RunAsync);
        await informer.WaitForSyncAsync(CancellationToken.None);

        foreach (var name in new[] { "first", "second" })
        {
            await Client.CreateAsync(Pods, ns, Parse($$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}"""));
            await Eventually.UntilAsync($"{name} seen by the second handler", () => Task.FromResult(seen.Contains(name)));
        }
    }

    [Fact]
    public async Task GarbageCollector_WatchesWhatNoOtherControllerDoes_AsMetadataOnly()
    {
        using var client = Server.NewClient(_userAgent);
        var factory = new InformerFactory(client, Log);
        var ns = await Server.NamespaceAsync("metadata");
        var owner = await Client.CreateAsync(ConfigMaps, ns, Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"owner"},"data":{"k":"v"}}"""));
        await Client.CreateAsync(ConfigMaps, ns, Parse($$$"""
            {"apiVersion":"v1","kind":"ConfigMap","data":{"big":"{{{new string('x', 4096)}}}"},
             "metadata":{"name":"dependent","ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"{{{ObjectMeta.Uid(owner)}}}"}]}}
            """));
        var gc = new GarbageCollector.GarbageCollector(client, Log, factory);
        Run(ct => gc.StartAsync(1, ct));
        var configMaps = factory.ForMetadata(ConfigMaps);
        await Eventually.UntilAsync("the configmaps' metadata cached", () => Task.FromResult(configMaps.Get($"{ns}/dependent") != null));

        // The cache holds what the garbage collector reads, not the data.
        var cached = configMaps.Get($"{ns}/dependent")!;
        Assert.Equal("PartialObjectMetadata", (string?)cached["kind"]);
        Assert.Null(cached["data"]);
        Assert.Equal(ObjectMeta.Uid(owner), (string?)cached["metadata"]!["ownerReferences"]![0]!["uid"]);

        await Client.DeleteAsync(ConfigMaps, ns, "owner");
        await Eventually.UntilAsync("the dependent collected", async () =>
        {
            try { return ObjectMeta.IsDeleting(await Client.GetAsync(ConfigMaps, ns, "dependent")); }
            catch (ApiException e) when (e.IsNotFound) { return true; }
        });
    }

    [Fact]
    public async Task SharedInformers_CacheWithoutManagedFields_AndAnUpdateFromTheCacheKeepsTheStoredOnes()
    {
        using var client = Server.NewClient(_userAgent);
        var factory = new InformerFactory(client, Log);
        var ns = await Server.NamespaceAsync("trim");
        var created = await Client.CreateAsync(ConfigMaps, ns, Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"k":"v"}}"""));
        Assert.NotEmpty(created["metadata"]!["managedFields"]!.AsArray());
        var informer = factory.For(ConfigMaps, ns);
        Run(informer.RunAsync);
        await Eventually.UntilAsync("the configmap cached", () => Task.FromResult(informer.Get($"{ns}/cm") != null));

        var cached = informer.Get($"{ns}/cm")!;
        Assert.Null(cached["metadata"]!["managedFields"]);
        Assert.Equal("v", (string?)cached["data"]!["k"]);

        // A controller writes back what it cached: the server keeps the managers it had.
        var changed = (JsonObject)cached.DeepClone();
        changed["data"]!["k"] = "w";
        var updated = await client.UpdateAsync(ConfigMaps, ns, "cm", changed);
        var managers = updated["metadata"]!["managedFields"]!.AsArray().Select(e => (string?)e!["manager"]).ToList();
        Assert.Contains((string?)created["metadata"]!["managedFields"]![0]!["manager"], managers);
    }

    /// <summary>Every object the factory's informers deliver, with its JSON at delivery (the recorder is the first handler).</summary>
    private static ConcurrentDictionary<JsonObject, string> RecordDeliveries(InformerFactory factory, params ResourceRef[] resources)
    {
        var seen = new ConcurrentDictionary<JsonObject, string>(ReferenceEqualityComparer.Instance);
        foreach (var r in resources)
            factory.For(r).AddEventHandler(o => seen[o] = o.ToJsonString(), (_, o) => seen[o] = o.ToJsonString(), o => seen.TryAdd(o, o.ToJsonString()));
        return seen;
    }

    /// <summary>Watch requests this test's client made, by resource, from the server's audit log.</summary>
    private async Task<Dictionary<string, int>> WatchesAsync(KubeClient client)
    {
        // A marker request: once the log shows it, everything audited before it has been written.
        var marker = "audit-barrier-" + Guid.NewGuid().ToString("N")[..8];
        try { await client.GetAsync(new ResourceRef("", "v1", "configmaps", true), "default", marker); }
        catch (ApiException e) when (e.IsNotFound) { }
        var log = Path.Combine(Server.DataDir, "audit.log");
        var lines = await Eventually.UntilAsync("the marker in the audit log", async () =>
            await ReadSharedAsync(log) is { } l && l.Any(x => x.Contains(marker, StringComparison.Ordinal)) ? l : null);
        return lines.Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(e => (string?)e["verb"] == "watch" && (string?)e["userAgent"] == _userAgent)
            .GroupBy(e => (string?)e["objectRef"]?["resource"] ?? "")
            .ToDictionary(g => g.Key, g => g.Select(e => (string?)e["auditID"]).Distinct().Count());
    }

    private static async Task<List<string>> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
            if (line.Length > 0) lines.Add(line);
        return lines;
    }
}
