using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary><c>kubectl get --raw /metrics</c> as on a real cluster: Prometheus text for admins and system:monitoring, 403 for others.</summary>
public sealed class MetricsTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private Task<KubectlResult> As(string kubeconfig, params string[] args) => Kubectl.RunAsync(["--kubeconfig", kubeconfig, .. args], stdin: null);

    private string User(string name, params string[] groups) => UserKubeconfig.Write(Server, Kubectl.WorkDir, name, groups);

    [Fact]
    public async Task AdminAndMonitoringReadTheMetrics_OthersAreForbidden()
    {
        (await K("get", "configmaps", "-n", "default")).Succeeded();

        var admin = (await K("get", "--raw", "/metrics")).Succeeded();
        var monitoring = (await As(User("prometheus", "system:monitoring"), "get", "--raw", "/metrics")).Succeeded();
        var other = (await As(User("taavi"), "get", "--raw", "/metrics")).Failed();

        Assert.Contains("# TYPE apiserver_request_total counter", admin.Stdout);
        Assert.Matches("""apiserver_request_total\{verb="LIST",dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver",code="200"\} [1-9]""", admin.Stdout);
        Assert.Contains("apiserver_request_duration_seconds_bucket{", monitoring.Stdout);
        Assert.Equal("Error from server (Forbidden): forbidden: User \"taavi\" cannot get path \"/metrics\"", other.StderrLines.Last());
    }
}
