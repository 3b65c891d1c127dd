using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.ApiServer;
using Anvil.Bench.Measurement;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.Bench.Scheduler;

/// <summary>
/// <c>scheduler [--nodes 1000] [--pods 10000] [--quick]</c>: an in-process API server on a temporary dir,
/// N Node objects (no agents) and M small pods created as fast as possible, then the scheduler started;
/// pods bound per second are measured from the first to the last binding as a pods watch sees them.
/// Compared with the target (1,000 pods/s) and, as a reference line, upstream scheduler_perf's floor.
/// </summary>
internal static class SchedulerBenchmark
{
    private const double TargetPodsPerSecond = 1000;
    private const double UpstreamFloorPodsPerSecond = 680; // scheduler_perf SchedulingBasic, 5000 nodes
    private const int CreateParallelism = 32;
    private const string WarmupScheduler = "bench-warmup";
    private static readonly ResourceRef Pods = Anvil.Scheduler.Scheduler.Pods;
    private static readonly ResourceRef Nodes = Anvil.Scheduler.Scheduler.Nodes;

    public static async Task<int> RunAsync(string[] args)
    {
        int nodes = 1000, pods = 10000;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": nodes = 100; pods = 1000; break;
                case "--nodes" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 20000: nodes = n; i++; break;
                case "--pods" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 100000: pods = p; i++; break;
                default:
                    Console.Error.WriteLine("usage: scheduler [--nodes 1-20000] [--pods 1-100000] [--quick]");
                    return 2;
            }
        }
        // Bounded in time whatever happens: creation and scheduling each get a generous limit.
        var limit = TimeSpan.FromSeconds(60 + pods / 50.0);
        using var overall = new CancellationTokenSource(limit * 3);
        var dir = Directory.CreateTempSubdirectory("anvil-bench-scheduler-").FullName;
        try
        {
            await using var server = new ApiServerHost(new ApiServerOptions { DataDir = dir, Port = Ports.Free(), Bind = "127.0.0.1", DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" } });
            await server.StartAsync(overall.Token);
            var (cert, key) = server.Pki.IssueClientCertificate("admin", ["system:masters"], TimeSpan.FromDays(1));
            using var admin = KubeClient.FromPem(new Uri(server.ServerUrl), server.Pki.CaPem, cert, key, "anvil-bench");
            await admin.CreateAsync(ResourceRef.Namespaces, "", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "bench" } }, overall.Token);

            var (scert, skey) = server.Pki.IssueClientCertificate("system:kube-scheduler", [], TimeSpan.FromDays(1));
            using var schedulerClient = KubeClient.FromPem(new Uri(server.ServerUrl), server.Pki.CaPem, scert, skey, "kube-scheduler");
            using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));

            Console.WriteLine($"scheduler benchmark: {nodes} nodes, {pods} pods (limit {limit.TotalSeconds:0} s per phase)");
            var sw = Stopwatch.StartNew();
            await ParallelIndexes.RunAsync(nodes, CreateParallelism, i => admin.CreateAsync(Nodes, "", Node($"node-{i:D5}"), overall.Token));
            var nodeSeconds = sw.Elapsed.TotalSeconds;

            // Warm-up (not counted): a scheduler of another name binds pods of its own, so the JIT has tiered up the
            // scheduling, binding and event paths before the measured run (the API server's paths warm up creating pods).
            var warmupPods = Math.Min(1000, Math.Max(100, pods / 10));
            sw.Restart();
            await admin.CreateAsync(ResourceRef.Namespaces, "", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "warmup" } }, overall.Token);
            await ParallelIndexes.RunAsync(warmupPods, CreateParallelism, i => admin.CreateAsync(Pods, "warmup", Pod($"warm-{i:D6}", WarmupScheduler), overall.Token));
            var warmList = await admin.ListAsync(Pods, "warmup", "limit=1", overall.Token);
            using (var warmPhase = CancellationTokenSource.CreateLinkedTokenSource(overall.Token))
            {
                warmPhase.CancelAfter(limit);
                var warmWatch = WatchBindingsAsync(admin, "warmup", (string?)warmList["metadata"]?["resourceVersion"] ?? "", warmupPods, warmPhase.Token);
                var warmScheduler = new Anvil.Scheduler.Scheduler(schedulerClient, logs.CreateLogger("scheduler"), new Anvil.Scheduler.SchedulerOptions { SchedulerName = WarmupScheduler });
                using var stopWarm = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
                var warmRunning = warmScheduler.RunAsync(stopWarm.Token);
                var (warmBound, _, _) = await warmWatch;
                stopWarm.Cancel();
                await warmRunning;
                Console.WriteLine($"  warm-up (not counted): {warmBound}/{warmupPods} pods of another scheduler name bound in {sw.Elapsed.TotalSeconds:0.00} s");
            }

            sw.Restart();
            var cpuBeforeCreate = CpuTime();
            await ParallelIndexes.RunAsync(pods, CreateParallelism, i => admin.CreateAsync(Pods, "bench", Pod($"pod-{i:D6}"), overall.Token));
            var podSeconds = sw.Elapsed.TotalSeconds;
            var createCpu = CpuTime() - cpuBeforeCreate;
            Console.WriteLine($"  created {nodes} nodes in {nodeSeconds:0.00} s ({nodes / nodeSeconds:0} /s), {pods} pods in {podSeconds:0.00} s ({pods / podSeconds:0} /s)");

            var list = await admin.ListAsync(Pods, "bench", "limit=1", overall.Token);
            var rv = (string?)list["metadata"]?["resourceVersion"] ?? "";
            using var phase = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
            phase.CancelAfter(limit);
            var watch = WatchBindingsAsync(admin, "bench", rv, pods, phase.Token);

            var scheduler = new Anvil.Scheduler.Scheduler(schedulerClient, logs.CreateLogger("scheduler"));
            using var stopScheduler = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
            var cpuBeforeScheduling = CpuTime();
            var running = scheduler.RunAsync(stopScheduler.Token);
            var (bound, first, last) = await watch;
            var scheduleCpu = CpuTime() - cpuBeforeScheduling;
            stopScheduler.Cancel();
            await running;

            var window = (last - first).TotalSeconds;
            var rate = bound > 1 && window > 0 ? (bound - 1) / window : 0;
            Console.WriteLine($"  bound {bound}/{pods} pods; first binding {first.TotalSeconds:0.00} s after start, last {last.TotalSeconds:0.00} s (sync and queue fill included in the first)");
            Console.WriteLine($"  scheduling throughput: {rate:0} pods/s (first to last binding), {bound / Math.Max(last.TotalSeconds, 1e-3):0} pods/s from scheduler start");
            // The machine is shared: CPU time per pod (this process: API server, store, scheduler, clients) is steadier than wall time.
            Console.WriteLine($"  baseline in this run: creating pods ran at {pods / podSeconds:0} pods/s; binding/creating ratio {rate / (pods / podSeconds):0.00}");
            Console.WriteLine($"  CPU per pod: create {createCpu.TotalMilliseconds / pods:0.00} ms, schedule+bind+event {scheduleCpu.TotalMilliseconds / Math.Max(bound, 1):0.00} ms; on {Environment.ProcessorCount} cores that bounds binding at ~{Environment.ProcessorCount * 1000 / Math.Max(scheduleCpu.TotalMilliseconds / Math.Max(bound, 1), 1e-3):0} pods/s");
            Console.WriteLine($"  ratio to target {TargetPodsPerSecond:0} pods/s: {rate / TargetPodsPerSecond:0.00}");
            Console.WriteLine($"  reference: upstream scheduler_perf floor {UpstreamFloorPodsPerSecond:0} pods/s at 5000 nodes; ratio {rate / UpstreamFloorPodsPerSecond:0.00}");
            Console.WriteLine($"  scheduler: {scheduler.BoundCount} binding answers received when the watch saw the last binding, {scheduler.FailedCount} failed attempts");
            return bound == pods ? 0 : 1;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>Counts pods of a namespace that gain a nodeName, with the time of the first and last.</summary>
    private static async Task<(int Bound, TimeSpan First, TimeSpan Last)> WatchBindingsAsync(KubeClient client, string ns, string rv, int expected, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var seen = new HashSet<string>();
        TimeSpan first = default, last = default;
        try
        {
            while (seen.Count < expected)
            {
                await foreach (var (type, obj) in client.WatchAsync(Pods, ns, rv, 600, ct))
                {
                    if (type == "BOOKMARK") continue;
                    rv = ObjectMeta.ResourceVersion(obj);
                    if ((string?)obj["spec"]?["nodeName"] is not { Length: > 0 } || !seen.Add(ObjectMeta.Name(obj))) continue;
                    if (seen.Count == 1) first = clock.Elapsed;
                    last = clock.Elapsed;
                    if (seen.Count >= expected) break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("  gave up waiting for bindings (time limit)");
        }
        return (seen.Count, first, last);
    }

    private static JsonObject Node(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = name } },
        ["status"] = new JsonObject
        {
            ["capacity"] = new JsonObject { ["cpu"] = "32", ["memory"] = "128Gi", ["pods"] = "110" },
            ["allocatable"] = new JsonObject { ["cpu"] = "32", ["memory"] = "128Gi", ["pods"] = "110" },
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["reason"] = "KubeletReady" }),
        },
    };

    private static JsonObject Pod(string name, string? schedulerName = null) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["schedulerName"] = schedulerName ?? Anvil.Scheduler.Scheduler.DefaultSchedulerName,
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "c", ["image"] = "busybox",
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "100Mi" } },
            }),
        },
    };

    private static TimeSpan CpuTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
