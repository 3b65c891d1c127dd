using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Anvil.ApiServer;
using Anvil.Bench.Measurement;
using Anvil.Client;
using Anvil.Machinery.Tls;

namespace Anvil.Bench.ApiServer;

/// <summary>
/// The API server benchmark: the real <see cref="ApiServerHost"/> in this process on a temporary data dir,
/// driven over HTTPS on 127.0.0.1 by kubectl-like clients; then raw SQLite on the same disk as the baseline;
/// then the RSS of a separate <c>anvil up</c>.
/// </summary>
internal sealed class ApiServerBenchmark(BenchOptions options)
{
    private const string ListNs = "bench-list";
    private const string OpsNs = "bench-ops";
    private const string WatchNs = "bench-watch";
    private const string WarmNs = "bench-warm";

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly BenchResults _results = new() { Options = options };
    private byte[]? _sample;
    private CancellationToken _cancel;

    public async Task RunAsync(CancellationToken ct)
    {
        _cancel = ct;
        var root = Path.Combine(Path.GetTempPath(), $"anvil-bench-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(root);
        Log($"temp dir {root}; objects {options.Objects}; timed phases {options.PhaseTime.TotalSeconds:0} s or {options.MaxOpsPerPhase} ops; {(options.Http1 ? "HTTP/1.1" : "HTTP/2")}");
        _results.LoadAverageStart = LoadAverage();
        try
        {
            // A configmap as the API returns it has ~1.5 KB; the preloaded one replaces this once it exists.
            var baseline = new SqliteBaseline(Path.Combine(root, "sqlite"), ConfigMaps.Create(ConfigMaps.PreloadName(0)), options.Objects, options.PhaseTime,
                options.Quick ? TimeSpan.FromSeconds(1) : options.PhaseTime, options.Concurrency);
            await PhaseAsync("raw sqlite insert, 1 thread, before the API phases", () => Task.Run(baseline.RunBefore, ct)).ConfigureAwait(false);
            await PhaseAsync("API server", () => RunServerPhasesAsync(Path.Combine(root, "server"), ct)).ConfigureAwait(false);
            await PhaseAsync("raw sqlite baseline", () =>
            {
                // The same bytes the API returned for a preloaded object (about what the store holds).
                if (_sample != null) baseline.Value = _sample;
                _results.Baseline = baseline;
                return Task.Run(baseline.Run, ct);
            }).ConfigureAwait(false);
            await PhaseAsync("the same load against anvil up --no-node as its own process", async () =>
            {
                var separate = new SeparateServerProbe(Path.Combine(root, "anvil-up-load"), options, Log);
                _results.Separate = separate;
                await separate.RunAsync(ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            await PhaseAsync("anvil up (separate process) RSS", async () =>
            {
                var probe = new AnvilUpProbe(Path.Combine(root, "anvil-up"), TimeSpan.FromSeconds(5));
                _results.AnvilUp = probe;
                await probe.RunAsync(ct).ConfigureAwait(false);
                if (probe.Error != null) throw new InvalidOperationException(probe.Error);
            }).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"anvil-bench: could not remove {root}: {e.Message}");
            }
        }
        _results.TotalSeconds = _clock.Elapsed.TotalSeconds;
        _results.LoadAverageEnd = LoadAverage();
        Report.Print(_results, Console.Out);
        if (options.JsonPath != null)
        {
            await File.WriteAllTextAsync(options.JsonPath, Report.ToJson(_results).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), ct).ConfigureAwait(false);
            Log($"wrote {options.JsonPath}");
        }
    }

    private async Task RunServerPhasesAsync(string dataDir, CancellationToken ct)
    {
        var port = Ports.Free();
        var server = new ApiServerHost(new ApiServerOptions { DataDir = dataDir, Port = port, Bind = "127.0.0.1", DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" } });
        await using var _ = server.ConfigureAwait(false);
        var t0 = Stopwatch.GetTimestamp();
        await server.StartAsync(ct).ConfigureAwait(false);
        _results.ServerStartSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        Log($"API server up at {server.ServerUrl} in {_results.ServerStartSeconds:0.0} s");

        using var ca = X509Certificate2.CreateFromPem(server.Pki.CaPem);
        var (certPem, keyPem) = server.Pki.IssueClientCertificate("admin", ["system:masters"], TimeSpan.FromDays(1));
        using var cert = ClusterTrust.LoadCertificate(certPem, keyPem);
        var uri = new Uri(server.ServerUrl);
        var clients = new BenchClient[options.Concurrency];
        for (var i = 0; i < clients.Length; i++) clients[i] = new BenchClient(uri, ca, cert, options.Http1);
        using var admin = new BenchClient(uri, ca, cert, options.Http1);
        using var watcher = new BenchClient(uri, ca, cert, options.Http1);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            _results.MemoryIdle = MemoryFigures.Now();
            foreach (var ns in new[] { ListNs, OpsNs, WatchNs, WarmNs })
                await admin.SendAsync(HttpMethod.Post, "/api/v1/namespaces", ConfigMaps.Namespace(ns), "application/json", ct).ConfigureAwait(false);
            _results.Protocol = $"HTTP/{admin.LastVersion}";

            await PhaseAsync("warm-up (not counted)", async () =>
            {
                // Connects every client (TLS handshakes) and lets the JIT tier up the hot paths.
                var warm = await ConfigMapLoad.WarmUpAsync(clients, WarmNs, TimeSpan.FromSeconds(options.Quick ? 3 : 10), ct).ConfigureAwait(false);
                if (warm.Errors > 0) throw new InvalidOperationException($"warm-up: {warm.Errors} errors, first: {warm.FirstError}");
                await admin.GetAsync(ConfigMaps.CollectionPath(WarmNs), ct, BenchClient.KubectlTableAccept).ConfigureAwait(false);
            }).ConfigureAwait(false);

            await PhaseAsync($"preload {options.Objects} configmaps ({options.Concurrency} clients)", async () =>
            {
                _results.Preload = await ConfigMapLoad.PreloadAsync(clients, ListNs, options.Objects, options.PreloadTime, ct).ConfigureAwait(false);
                Log($"  {_results.Preload.Ops} created at {_results.Preload.Throughput:0} /s, {_results.Preload.Errors} errors");
                _sample = await admin.GetAsync(ConfigMaps.ObjectPath(ListNs, ConfigMaps.PreloadName(0)), ct).ConfigureAwait(false);
                _results.ObjectBytes = _sample.Length;
            }).ConfigureAwait(false);
            var preloaded = Math.Max(1, _results.Preload?.Ops ?? 1);

            await ConfigMapLoad.RunOpsAsync(clients, OpsNs, ListNs, preloaded, (op, n, action) => OpPhaseAsync(op, n, action, ct)).ConfigureAwait(false);

            if (!options.Http1 && !options.Quick)
            {
                // The same load over HTTP/1.1 in the same run, for comparison (what other clients use).
                var h1 = new BenchClient[clients.Length];
                for (var i = 0; i < h1.Length; i++) h1[i] = new BenchClient(uri, ca, cert, http1: true);
                try
                {
                    await OpPhaseAsync("create (HTTP/1.1)", h1.Length, async (c, seq, token) =>
                    {
                        await h1[c].SendAsync(HttpMethod.Post, ConfigMaps.CollectionPath(OpsNs), ConfigMaps.Create($"h1-{c:D2}-{seq:D6}"), "application/json", token).ConfigureAwait(false);
                    }, ct).ConfigureAwait(false);
                    await OpPhaseAsync("get (HTTP/1.1)", h1.Length, (c, _, token) =>
                        h1[c].GetAsync(ConfigMaps.ObjectPath(ListNs, ConfigMaps.PreloadName(Random.Shared.Next(preloaded))), token), ct).ConfigureAwait(false);
                }
                finally
                {
                    foreach (var c in h1) c.Dispose();
                }
            }

            var layers = new LayerProbe(server, _sample ?? ConfigMaps.Create("x"), options);
            _results.Layers = layers;
            await PhaseAsync("layers below HTTP: creates through IStore and ResourceStore", async () =>
            {
                await layers.CreateNamespaceAsync(ct).ConfigureAwait(false);
                layers.RunAuthentication(cert, TimeSpan.FromSeconds(1));
                Log($"  authentication: {layers.Authentication!.Throughput:0} /s on one thread, p50 {layers.Authentication.P50Ms * 1000:0} µs");
                var time = options.Quick ? TimeSpan.FromSeconds(1) : options.PhaseTime;
                await layers.RunCreatesAsync(1, time, ct).ConfigureAwait(false);
                await layers.RunCreatesAsync(clients.Length, time, ct).ConfigureAwait(false);
                await layers.RunHttpsFloorAsync(ca, cert, [1, clients.Length], time, ct).ConfigureAwait(false);
                foreach (var s in layers.Creates) Log($"  {s.Name} x{s.Clients}: {s.Throughput:0} /s, p50 {s.P50Ms:0.00} ms, p99 {s.P99Ms:0.00} ms, {s.Errors} errors{(s.FirstError != null ? ": " + s.FirstError : "")}");
            }).ConfigureAwait(false);

            var lists = new ListProbe(admin, ListNs, options.ListRuns, TimeSpan.FromSeconds(options.Quick ? 10 : 40));
            foreach (var (name, accept, page, items) in new[]
            {
                ("JSON, one request", "application/json", 0, "items"),
                ("Table (kubectl Accept), one request", BenchClient.KubectlTableAccept, 0, "rows"),
                ("Table, pages of 500 (kubectl get)", BenchClient.KubectlTableAccept, 500, "rows"),
            })
            {
                await PhaseAsync($"list {name}", async () =>
                {
                    var figures = await lists.RunAsync(name, accept, page, items, ct).ConfigureAwait(false);
                    _results.Lists.Add(figures);
                    Log($"  median {figures.Stats.P50Ms:0.0} ms, {figures.Items} items, {figures.Bytes / 1048576.0:0.0} MB");
                }).ConfigureAwait(false);
            }

            await PhaseAsync("layers below HTTP: list", async () =>
            {
                await layers.RunListsAsync(ListNs, options.ListRuns, ct).ConfigureAwait(false);
                foreach (var s in layers.Lists) Log($"  {s.Name}: median {s.P50Ms:0.0} ms");
            }).ConfigureAwait(false);

            await PhaseAsync($"watch delivery ({options.WatchRate} creates/s for {options.PhaseTime.TotalSeconds:0} s)", async () =>
            {
                var probe = new WatchProbe(watcher, admin, WatchNs, options.WatchRate, options.PhaseTime);
                _results.Watch = probe;
                await probe.RunAsync(ct).ConfigureAwait(false);
                Log($"  {probe.Received}/{probe.Sent} events, p99 {probe.SendToReceive.P99Ms:0.0} ms");
            }).ConfigureAwait(false);

            _results.MemoryAfter = MemoryFigures.Now();
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
        Log("stopping the API server");
    }

    private async Task OpPhaseAsync(string op, int clients, Func<int, int, CancellationToken, Task> action, CancellationToken ct)
    {
        await PhaseAsync($"{op} at {clients} client(s)", async () =>
        {
            var stats = await LoadRunner.RunAsync(op, clients, options.MaxOpsPerPhase, options.PhaseTime, action, ct).ConfigureAwait(false);
            _results.Ops.Add(stats);
            Log($"  {stats.Ops} ops, {stats.Throughput:0} /s, p50 {stats.P50Ms:0.00} ms, p99 {stats.P99Ms:0.00} ms, {stats.StealPercent:0.0} % steal, {stats.Errors} errors{(stats.FirstError != null ? ": " + stats.FirstError : "")}");
        }).ConfigureAwait(false);
    }

    /// <summary>Runs a phase; a failure is recorded and reported, and the run goes on with the next phase.</summary>
    private async Task PhaseAsync(string name, Func<Task> phase)
    {
        Log(name);
        try
        {
            await phase().ConfigureAwait(false);
        }
        catch (Exception e) when (!(e is OperationCanceledException && _cancel.IsCancellationRequested))
        {
            var message = $"{name}: {e.GetType().Name}: {e.Message}";
            _results.Failures.Add(message);
            Console.Error.WriteLine($"anvil-bench: phase failed: {message}");
        }
    }

    /// <summary>The 1, 5 and 15 minute load averages (the machine is shared: this says how much).</summary>
    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private void Log(string message) =>
        Console.Error.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {message}");
}
