using System.Net;
using System.Text.Json.Nodes;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>Discovery and health documents as clients other than today's kubectl fetch them.</summary>
public sealed class RawDiscoveryTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    [Theory]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json", "v2")]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2beta1")]
    public async Task AggregatedDiscovery_FollowsTheAcceptHeader(string accept, string version)
    {
        using var api = RawApi.For(Server);
        var r = await api.SendWithAcceptAsync("/apis", accept);

        Assert.Equal(HttpStatusCode.OK, r.Status);
        // HttpClient re-renders the header with spaces after the semicolons.
        Assert.Equal($"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList", r.ContentType?.Replace(" ", ""));
        var doc = JsonNode.Parse(r.Body)!;
        Assert.Equal($"apidiscovery.k8s.io/{version}", (string?)doc["apiVersion"]);
        var apps = doc["items"]!.AsArray().Single(g => (string?)g!["metadata"]!["name"] == "apps")!;
        Assert.Contains(apps["versions"]![0]!["resources"]!.AsArray(), r => (string?)r!["resource"] == "deployments");
    }

    [Fact]
    public async Task LegacyDiscovery_WithoutAggregatedAccept()
    {
        using var api = RawApi.For(Server);
        var r = await api.SendWithAcceptAsync("/apis", "application/json");

        Assert.Equal("APIGroupList", (string?)JsonNode.Parse(r.Body)!["kind"]);
    }

    [Fact]
    public async Task PodsEviction_IsInPolicyGroup()
    {
        using var api = RawApi.For(Server);
        var doc = JsonNode.Parse((await api.GetAsync("/api/v1")).Body)!;

        var eviction = doc["resources"]!.AsArray().Single(r => (string?)r!["name"] == "pods/eviction")!;
        Assert.Equal(("policy", "v1", "Eviction"), ((string?)eviction["group"], (string?)eviction["version"], (string?)eviction["kind"]));
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/livez")]
    [InlineData("/readyz")]
    public async Task HealthEndpoints_AnswerOkWithoutCredentials(string path)
    {
        using var anonymous = RawApi.For(Server, withClientCertificate: false);
        var r = await anonymous.GetAsync(path);

        Assert.Equal((HttpStatusCode.OK, "ok"), (r.Status, r.Body));
    }

    [Fact]
    public async Task OpenApiV3Index_ListsServedGroupVersions()
    {
        using var api = RawApi.For(Server);
        var paths = JsonNode.Parse((await api.GetAsync("/openapi/v3")).Body)!["paths"]!.AsObject();

        foreach (var gv in new[] { "api/v1", "apis/apps/v1", "apis/batch/v1", "apis/apiextensions.k8s.io/v1" })
            Assert.StartsWith($"/openapi/v3/{gv}?hash=", (string?)paths[gv]!["serverRelativeURL"]);
    }
}
