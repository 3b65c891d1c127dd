using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary><c>kubectl version</c>, <c>api-resources</c> and <c>explain</c>: what kubectl learns from discovery and OpenAPI.</summary>
public sealed class DiscoveryTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    [Fact]
    public async Task Version_ShowsServerVersion_1_32()
    {
        var r = (await K("version")).Succeeded();

        Assert.True(r.StdoutLines.Any(l => Regex.IsMatch(l, @"^Server Version: v1\.32\.\d+")), r.ToString());
        // The dispatcher picks the bundled client from the server's minor version: no skew warning.
        Assert.DoesNotContain("WARNING: version difference", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_Json_HasMajor1Minor32()
    {
        var r = (await K("version", "-o", "json")).Succeeded();

        var server = JsonNode.Parse(r.Stdout)!["serverVersion"]!;
        Assert.Equal("1", (string?)server["major"]);
        Assert.Equal("32", (string?)server["minor"]);
        Assert.Matches(@"^v1\.32\.\d+", (string?)server["gitVersion"]);
        Assert.Equal("linux/amd64", (string?)server["platform"]);
    }

    private static readonly string[] ApiResourcesHeader = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"];

    [Theory]
    [InlineData("pods", "po", "v1", "true", "Pod")]
    [InlineData("configmaps", "cm", "v1", "true", "ConfigMap")]
    [InlineData("namespaces", "ns", "v1", "false", "Namespace")]
    [InlineData("services", "svc", "v1", "true", "Service")]
    [InlineData("serviceaccounts", "sa", "v1", "true", "ServiceAccount")]
    [InlineData("secrets", "", "v1", "true", "Secret")]
    [InlineData("deployments", "deploy", "apps/v1", "true", "Deployment")]
    [InlineData("replicasets", "rs", "apps/v1", "true", "ReplicaSet")]
    [InlineData("jobs", "", "batch/v1", "true", "Job")]
    [InlineData("cronjobs", "cj", "batch/v1", "true", "CronJob")]
    [InlineData("customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition")]
    public async Task ApiResources_ListsResource(string name, string shortNames, string apiVersion, string namespaced, string kind)
    {
        var r = await K("api-resources");

        Table.AssertHasRow(r, ApiResourcesHeader, [name, shortNames, apiVersion, namespaced, kind]);
    }

    [Fact]
    public async Task ApiResources_ApiGroupFilter()
    {
        var r = await K("api-resources", "--api-group=batch");

        Table.AssertTable(r, ApiResourcesHeader,
            ["cronjobs", "cj", "batch/v1", "true", "CronJob"],
            ["jobs", "", "batch/v1", "true", "Job"]);
    }

    [Fact]
    public async Task Explain_PodSpecContainers()
    {
        var r = (await K("explain", "pods.spec.containers")).Succeeded();
        var lines = r.StdoutLines;

        Assert.True(lines.Length > 20, r.ToString());
        Assert.Equal("KIND:       Pod", lines[0]);
        Assert.Equal("VERSION:    v1", lines[1]);
        Assert.Contains("FIELD: containers <[]Container>", lines);
        Assert.Contains("DESCRIPTION:", lines);
        Assert.Contains("FIELDS:", lines);
        Assert.Contains("  image\t<string>", lines);
        Assert.Contains("  name\t<string> -required-", lines);
        Assert.Contains(lines, l => l.StartsWith("    List of containers belonging to the pod.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Explain_UnknownField_FailsWithKubectlMessage()
    {
        var r = (await K("explain", "pods.spec.nope")).Failed();

        Assert.Equal("error: field \"nope\" does not exist", r.StderrLines.FirstOrDefault());
    }
}
