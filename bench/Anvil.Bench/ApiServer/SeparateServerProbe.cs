using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Anvil.ApiServer.Certificates;
using Anvil.Bench.Measurement;
using Anvil.Machinery.Tls;

namespace Anvil.Bench.ApiServer;

/// <summary>
/// The create/get/update load against <c>anvil up --no-node</c> run as its own process, as kubectl meets it: the
/// clients stay in this process, so each side has its own heap and its own collections (in process, every collection
/// stops the clients and the server together, with both sides' requests in flight). Same objects stored, same
/// phases. CPU per operation is both processes' (the server's from /proc); allocation and collections are only the
/// clients' (this process). The server also runs its controllers, as <c>anvil up</c> does.
/// </summary>
internal sealed class SeparateServerProbe(string dataDir, BenchOptions options, Action<string> log)
{
    private const string Ns = "bench-separate";

    public List<OpStats> Ops { get; } = [];
    public OpStats? Preload { get; private set; }

    /// <summary>The server's CPU per operation, by operation name and clients.</summary>
    public Dictionary<(string, int), double> ServerCpuMsPerOp { get; } = [];

    public long RssIdleBytes { get; private set; } = -1;
    public long RssAfterBytes { get; private set; } = -1;

    public async Task RunAsync(CancellationToken ct)
    {
        await using var up = await AnvilUpProcess.StartAsync(dataDir, ["--no-node"], TimeSpan.FromSeconds(90), ct).ConfigureAwait(false);
        var pki = ClusterPki.LoadOrCreate(dataDir, []);
        var (certPem, keyPem) = pki.IssueClientCertificate("admin", ["system:masters"], TimeSpan.FromDays(1));
        using var cert = ClusterTrust.LoadCertificate(certPem, keyPem);
        using var ca = X509Certificate2.CreateFromPem(pki.CaPem);
        var uri = new Uri($"https://127.0.0.1:{up.Port}");
        var clients = new BenchClient[options.Concurrency];
        for (var i = 0; i < clients.Length; i++) clients[i] = new BenchClient(uri, ca, cert, options.Http1);
        using var admin = new BenchClient(uri, ca, cert, options.Http1);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
            RssIdleBytes = ProcessMemory.RssBytes(up.Pid.ToString(CultureInfo.InvariantCulture));
            await admin.SendAsync(HttpMethod.Post, "/api/v1/namespaces", ConfigMaps.Namespace(Ns), "application/json", ct).ConfigureAwait(false);
            // Connects every client and lets both processes' JIT tier up, as the in-process phases' warm-up does.
            var warm = await ConfigMapLoad.WarmUpAsync(clients, Ns, TimeSpan.FromSeconds(options.Quick ? 3 : 10), ct).ConfigureAwait(false);
            if (warm.Errors > 0) throw new InvalidOperationException($"warm-up: {warm.Errors} errors, first: {warm.FirstError}");
            Preload = await ConfigMapLoad.PreloadAsync(clients, Ns, options.Objects, options.PreloadTime, ct).ConfigureAwait(false);
            log($"  {Preload.Ops} created at {Preload.Throughput:0} /s in anvil up, {Preload.Errors} errors");
            var preloaded = Math.Max(1, Preload.Ops);

            await ConfigMapLoad.RunOpsAsync(clients, Ns, Ns, preloaded, (op, n, action) => PhaseAsync(up, admin, op, n, action, ct)).ConfigureAwait(false);
            RssAfterBytes = ProcessMemory.RssBytes(up.Pid.ToString(CultureInfo.InvariantCulture));
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    public OpStats? Op(string name, int clients) => Ops.FirstOrDefault(o => o.Name == name && o.Clients == clients);

    private async Task PhaseAsync(AnvilUpProcess up, BenchClient admin, string op, int clients, Func<int, int, CancellationToken, Task> action, CancellationToken ct)
    {
        var metrics = await ServerMetrics.ScrapeAsync(admin, ct).ConfigureAwait(false);
        var serverCpu = up.CpuTime();
        var stats = await LoadRunner.RunAsync(op, clients, options.MaxOpsPerPhase, options.PhaseTime, action, ct).ConfigureAwait(false);
        var server = stats.Ops > 0 ? (up.CpuTime() - serverCpu).TotalMilliseconds / stats.Ops : double.NaN;
        var inside = ServerMetrics.Describe(metrics, await ServerMetrics.ScrapeAsync(admin, ct).ConfigureAwait(false));
        ServerCpuMsPerOp[(op, clients)] = server;
        // Both processes: the clients' CPU as measured, plus the server's.
        Ops.Add(stats with { CpuMsPerOp = stats.CpuMsPerOp + server });
        log($"  {op} at {clients}: {stats.Ops} ops, {stats.Throughput:0} /s, p50 {stats.P50Ms:0.00} ms, p99 {stats.P99Ms:0.00} ms, server {server:0.000} ms CPU/op, {stats.Errors} errors{(stats.FirstError != null ? ": " + stats.FirstError : "")}");
        log($"    {inside}");
    }
}
