using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Tests.Instrumentation;

/// <summary>
/// <c>GET /metrics</c> on a real API server over HTTPS: who may read it (system:monitoring and admins, not other users,
/// not anonymous callers), and that the request metrics count what was asked, with kube-apiserver's labels.
/// </summary>
public sealed class MetricsEndpointTests(MetricsEndpointTests.Server s) : IClassFixture<MetricsEndpointTests.Server>
{
    public sealed class Server : IAsyncLifetime
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("anvil-metrics-").FullName;
        private ApiServerHost _host = null!;
        private readonly List<HttpClient> _clients = [];

        public HttpClient Admin { get; private set; } = null!;
        public HttpClient Monitoring { get; private set; } = null!;
        public HttpClient Tool { get; private set; } = null!;
        public HttpClient Anonymous { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _host = new ApiServerHost(new ApiServerOptions
            {
                DataDir = _dir, Port = TestPorts.FreePort(), DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" },
                StorageCountPollPeriod = TimeSpan.FromMilliseconds(200),
            });
            await _host.StartAsync(default);
            Admin = Client("admin", "system:masters");
            Monitoring = Client("prometheus", "system:monitoring");
            Tool = Client("tool-a");
            Anonymous = Client(null);
        }

        private HttpClient Client(string? user, params string[] groups)
        {
            var ssl = new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true };
            if (user != null)
            {
                var (cert, key) = _host.Pki.IssueClientCertificate(user, groups, TimeSpan.FromHours(1));
                ssl.ClientCertificates = [Anvil.Machinery.Tls.ClusterTrust.LoadCertificate(cert, key)];
            }
            var client = new HttpClient(new SocketsHttpHandler { SslOptions = ssl }) { BaseAddress = new Uri(_host.ServerUrl) };
            _clients.Add(client);
            return client;
        }

        public async Task DisposeAsync()
        {
            foreach (var c in _clients) c.Dispose();
            await _host.DisposeAsync();
            Directory.Delete(_dir, true);
        }
    }

    private const string Labels = "dry_run=\"\",group=\"\",version=\"v1\",resource=\"configmaps\",subresource=\"\"";

    [Fact]
    public async Task MonitoringAndAdminsReadThePageInTheTextFormat()
    {
        foreach (var client in new[] { s.Monitoring, s.Admin })
        {
            var r = await client.GetAsync("/metrics");

            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", r.Content.Headers.ContentType!.ToString());
            var text = await r.Content.ReadAsStringAsync();
            Assert.Contains("# TYPE apiserver_request_total counter\n", text);
            Assert.Contains("# TYPE apiserver_request_duration_seconds histogram\n", text);
            Assert.Contains("kubernetes_build_info{major=\"1\",minor=\"32\",", text);
            Assert.Contains("\nanvil_storage_commit_duration_seconds_count ", text);
            Assert.Contains("\nprocess_resident_memory_bytes ", text);
        }
    }

    [Fact]
    public async Task OtherUsersAreForbiddenAndAnonymousCallersUnauthorized()
    {
        var forbidden = await s.Tool.GetAsync("/metrics");
        var unauthorized = await s.Anonymous.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("forbidden: User \"tool-a\" cannot get path \"/metrics\"", (string?)JsonNode.Parse(await forbidden.Content.ReadAsStringAsync())!["message"]);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.DoesNotContain("apiserver_", await forbidden.Content.ReadAsStringAsync());
        Assert.DoesNotContain("apiserver_", await unauthorized.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RequestsAreCountedByVerbScopeAndCode()
    {
        var before = await ScrapeAsync();
        var name = "cm-" + Guid.NewGuid().ToString("N")[..8];
        var body = new StringContent($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"}}""", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.Created, (await s.Admin.PostAsync("/api/v1/namespaces/default/configmaps", body)).StatusCode);
        var dryRun = new StringContent("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dry"}}""", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.Created, (await s.Admin.PostAsync("/api/v1/namespaces/default/configmaps?dryRun=All", dryRun)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.Admin.GetAsync("/api/v1/namespaces/default/configmaps")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.Admin.GetAsync("/api/v1/configmaps")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Admin.GetAsync("/api/v1/namespaces/default/configmaps/missing")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await s.Tool.DeleteAsync($"/api/v1/namespaces/default/configmaps/{name}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Admin.GetAsync("/no/such/path")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Admin.GetAsync("/apis/made.up/v1/namespaces/default/things")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await s.Admin.GetAsync("/api/v1/namespaces/default/configmaps/x/nonsense")).StatusCode);
        var after = await ScrapeAsync();

        double Delta(string series) => Value(after, series) - Value(before, series);
        Assert.Equal(1, Delta($"apiserver_request_total{{verb=\"POST\",{Labels},scope=\"resource\",component=\"apiserver\",code=\"201\"}}"));
        Assert.Equal(1, Delta($"apiserver_request_total{{verb=\"POST\",dry_run=\"All\",group=\"\",version=\"v1\",resource=\"configmaps\",subresource=\"\",scope=\"resource\",component=\"apiserver\",code=\"201\"}}"));
        Assert.Equal(1, Delta($"apiserver_request_total{{verb=\"LIST\",{Labels},scope=\"namespace\",component=\"apiserver\",code=\"200\"}}"));
        Assert.Equal(1, Delta($"apiserver_request_total{{verb=\"LIST\",{Labels},scope=\"cluster\",component=\"apiserver\",code=\"200\"}}"));
        Assert.Equal(1, Delta($"apiserver_request_total{{verb=\"GET\",{Labels},scope=\"resource\",component=\"apiserver\",code=\"404\"}}"));
        Assert.Equal(1, Delta($"apiserver_request_total{{verb=\"DELETE\",{Labels},scope=\"resource\",component=\"apiserver\",code=\"403\"}}"));
        Assert.Equal(1, Delta("apiserver_request_total{verb=\"GET\",dry_run=\"\",group=\"\",version=\"\",resource=\"\",subresource=\"other\",scope=\"\",component=\"apiserver\",code=\"404\"}"));
        // Made-up resources and subresources share one series, so they cannot grow the page.
        Assert.Equal(1, Delta("apiserver_request_total{verb=\"LIST\",dry_run=\"\",group=\"\",version=\"\",resource=\"\",subresource=\"other\",scope=\"namespace\",component=\"apiserver\",code=\"404\"}"));
        Assert.Equal(1, Delta("apiserver_request_total{verb=\"GET\",dry_run=\"\",group=\"\",version=\"\",resource=\"\",subresource=\"other\",scope=\"resource\",component=\"apiserver\",code=\"404\"}"));
        Assert.DoesNotContain("made.up", after);
        Assert.DoesNotContain("nonsense", after);
        // The latency histogram counts the same requests (without the code), and the store committed the real create.
        Assert.Equal(2, Delta($"apiserver_request_duration_seconds_count{{verb=\"LIST\",{Labels},scope=\"namespace\",component=\"apiserver\"}}")
            + Delta($"apiserver_request_duration_seconds_count{{verb=\"LIST\",{Labels},scope=\"cluster\",component=\"apiserver\"}}"));
        Assert.True(Delta("anvil_storage_commit_duration_seconds_count") >= 1);
        Assert.True(Delta("anvil_storage_revision") >= 1);
    }

    [Fact]
    public async Task OpenWatchesAreLongRunningRequests()
    {
        const string series = "apiserver_longrunning_requests{verb=\"WATCH\",dry_run=\"\",group=\"\",version=\"v1\",resource=\"secrets\",subresource=\"\",scope=\"namespace\",component=\"apiserver\"}";
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using (var watch = await s.Admin.GetAsync("/api/v1/namespaces/default/secrets?watch=true", HttpCompletionOption.ResponseHeadersRead, cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, watch.StatusCode);
            Assert.Equal(1, Value(await ScrapeAsync(), series));
        }
        // The server sees the closed stream shortly after; bounded wait.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Value(await ScrapeAsync(), series) != 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(0, Value(await ScrapeAsync(), series));
    }

    [Fact]
    public async Task StoredObjectsAreCountedPerResource()
    {
        const string configMaps = "apiserver_storage_objects{resource=\"configmaps\"}";
        for (var i = 0; i < 2; i++)
        {
            var body = new StringContent($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"counted-{{{i}}}"}}""", Encoding.UTF8, "application/json");
            Assert.Equal(HttpStatusCode.Created, (await s.Admin.PostAsync("/api/v1/namespaces/default/configmaps", body)).StatusCode);
        }
        var list = JsonNode.Parse(await s.Admin.GetStringAsync("/api/v1/configmaps"))!;
        var stored = ((JsonArray)list["items"]!).Count;
        Assert.True(stored >= 2);

        // Counted on the poll period (200 ms here), not on the scrape; bounded wait.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var page = await ScrapeAsync();
        while (Value(page, configMaps) != stored && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            page = await ScrapeAsync();
        }

        Assert.Equal(stored, Value(page, configMaps));
        Assert.Contains("# TYPE apiserver_storage_objects gauge\n", page);
        // Other groups' resources are named resource.group, as kube-apiserver names them; the bootstrap roles are there.
        Assert.True(Value(page, "apiserver_storage_objects{resource=\"clusterroles.rbac.authorization.k8s.io\"}") > 10);
        Assert.Contains("apiserver_storage_objects{resource=\"deployments.apps\"} 0\n", page);
        // Reviews are created and answered, never stored.
        Assert.DoesNotContain("apiserver_storage_objects{resource=\"tokenreviews.authentication.k8s.io\"}", page);
    }

    private async Task<string> ScrapeAsync()
    {
        var r = await s.Monitoring.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await r.Content.ReadAsStringAsync();
    }

    /// <summary>A series' value, 0 when the page does not have it (yet).</summary>
    private static double Value(string page, string series)
    {
        foreach (var line in page.Split('\n'))
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
        return 0;
    }
}
