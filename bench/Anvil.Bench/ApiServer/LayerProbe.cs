using System.Diagnostics;
using System.Text.Json.Nodes;
using Anvil.ApiServer;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Bench.Measurement;
using Anvil.Machinery.Serialization;

namespace Anvil.Bench.ApiServer;

/// <summary>
/// Where the time goes: the same creates and lists one layer below HTTP, called in process (measurement
/// only; nothing else uses this back door). Store = <c>IStore</c> (SQLite, group commit, watch fan-out);
/// registry = <c>ResourceStore</c> (defaults, validation, admission, managedFields, JSON encode/decode) on top.
/// </summary>
internal sealed class LayerProbe(ApiServerHost server, byte[] sample, BenchOptions options)
{
    private const string Ns = "bench-layer";

    public List<OpStats> Creates { get; } = [];
    public List<OpStats> Lists { get; } = [];

    /// <summary>The per-request client certificate check (authentication), timed alone on one thread.</summary>
    public OpStats? Authentication { get; private set; }

    /// <summary>Calls the authenticator the API server runs on every request, with the benchmark's certificate.</summary>
    public void RunAuthentication(System.Security.Cryptography.X509Certificates.X509Certificate2 cert, TimeSpan time)
    {
        var authenticator = new ClientCertificateAuthenticator(server.Pki);
        var latencies = new List<double>();
        var start = Stopwatch.GetTimestamp();
        while (latencies.Count < 100_000 && Stopwatch.GetElapsedTime(start) < time)
        {
            var t0 = Stopwatch.GetTimestamp();
            if (authenticator.Authenticate(cert) == null) throw new InvalidOperationException("the benchmark's certificate was not accepted");
            latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        Authentication = OpStats.From("authn: client cert check (per request)", 1, latencies, 0, Stopwatch.GetElapsedTime(start).TotalSeconds, null);
    }

    public async Task RunCreatesAsync(int clients, TimeSpan time, CancellationToken ct)
    {
        var def = ConfigMapsDefinition();
        var store = server.Resources.Storage;
        Creates.Add(await LoadRunner.RunAsync("store create (IStore)", clients, options.MaxOpsPerPhase, time, async (c, seq, token) =>
        {
            await store.CreateAsync($"/bench/layer/{clients}-{c:D2}-{seq:D6}", sample, token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false));
        var write = new WriteOptions { FieldManager = "anvil-bench", User = new UserInfo("admin", ["system:masters", "system:authenticated"]) };
        Creates.Add(await LoadRunner.RunAsync("registry create (ResourceStore)", clients, options.MaxOpsPerPhase, time, async (c, seq, token) =>
        {
            var obj = KubeJson.ParseObject(ConfigMaps.Create($"l{clients}-{c:D2}-{seq:D6}"));
            await server.Resources.CreateAsync(def, Ns, obj, write with { }, token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false));
    }

    /// <summary>
    /// Creates of the same bodies through <see cref="HttpsFloor"/> (HTTPS in, one store write, the body back out), with
    /// the benchmark's kind of clients: the floor an API create stands on here.
    /// </summary>
    public async Task RunHttpsFloorAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 ca,
        System.Security.Cryptography.X509Certificates.X509Certificate2 cert, int[] clientCounts, TimeSpan time, CancellationToken ct)
    {
        await using var floor = await HttpsFloor.StartAsync(server.Pki.Serving, server.Resources.Storage, ct).ConfigureAwait(false);
        var clients = Enumerable.Range(0, clientCounts.Max()).Select(_ => new BenchClient(floor.Url, ca, cert, options.Http1)).ToArray();
        try
        {
            // Connects every client and warms the path, not counted.
            await LoadRunner.RunAsync("https floor warm-up", clients.Length, 2_000, TimeSpan.FromSeconds(2), (c, seq, token) =>
                clients[c].SendAsync(HttpMethod.Post, "/", ConfigMaps.Create($"w-{c:D2}-{seq:D6}"), "application/json", token), ct).ConfigureAwait(false);
            foreach (var n in clientCounts)
            {
                Creates.Add(await LoadRunner.RunAsync("HTTPS floor: body → IStore → body", n, options.MaxOpsPerPhase, time, (c, seq, token) =>
                    clients[c].SendAsync(HttpMethod.Post, "/", ConfigMaps.Create($"f{n}-{c:D2}-{seq:D6}"), "application/json", token), ct).ConfigureAwait(false));
            }
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    /// <summary>A namespace list, split: SQLite range read; + JSON parse per object (registry list); + one JSON serialization of the list.</summary>
    public async Task RunListsAsync(string ns, int runs, CancellationToken ct)
    {
        var def = ConfigMapsDefinition();
        var store = server.Resources.Storage;
        var prefix = def.ListPrefix(ns);
        await Time("list: store range (SQLite rows)", runs, async () => (await store.RangeAsync(prefix, ct: ct).ConfigureAwait(false)).Items.Count).ConfigureAwait(false);
        await Time("list: + parse each object (ResourceStore)", runs, async () =>
            (await server.Resources.ListAsync(def, ns, new ListOptions(), ct).ConfigureAwait(false)).Items.Count).ConfigureAwait(false);
        await Time("list: + serialize the list (no HTTP)", runs, async () =>
        {
            var result = await server.Resources.ListAsync(def, ns, new ListOptions(), ct).ConfigureAwait(false);
            var items = new JsonArray();
            foreach (var item in result.Items) items.Add(item);
            var list = new JsonObject { ["kind"] = "ConfigMapList", ["apiVersion"] = "v1", ["metadata"] = new JsonObject { ["resourceVersion"] = "1" }, ["items"] = items };
            return KubeJson.ToBytes(list).Length;
        }).ConfigureAwait(false);
    }

    public async Task CreateNamespaceAsync(CancellationToken ct)
    {
        var nsDef = server.Catalog.Find("", "v1", "namespaces") ?? throw new InvalidOperationException("no namespaces resource");
        await server.Resources.CreateAsync(nsDef, "", new JsonObject { ["metadata"] = new JsonObject { ["name"] = Ns } },
            new WriteOptions { User = new UserInfo("admin", ["system:masters"]) }, ct).ConfigureAwait(false);
    }

    private async Task Time(string name, int runs, Func<Task<int>> run)
    {
        await run().ConfigureAwait(false); // warm-up
        var latencies = new List<double>();
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < runs && Stopwatch.GetElapsedTime(start) < TimeSpan.FromSeconds(30); i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await run().ConfigureAwait(false);
            latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        Lists.Add(OpStats.From(name, 1, latencies, 0, Stopwatch.GetElapsedTime(start).TotalSeconds, null));
    }

    private ResourceDefinition ConfigMapsDefinition() =>
        server.Catalog.Find("", "v1", "configmaps") ?? throw new InvalidOperationException("no configmaps resource");
}
