using Anvil.ApiServer.Endpoints;

namespace Anvil.ApiServer.Tests.Endpoints;

public sealed class RequestInfoTests
{
    [Theory]
    [InlineData("GET", "/api/v1/namespaces/ns/pods", false, "list", "", "v1", "ns", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces/ns/pods", true, "watch", "", "v1", "ns", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces/ns/pods/p1", false, "get", "", "v1", "ns", "pods", "p1", "")]
    [InlineData("GET", "/api/v1/namespaces/ns/pods/p1/log", false, "get", "", "v1", "ns", "pods", "p1", "log")]
    [InlineData("POST", "/api/v1/namespaces/ns/pods/p1/eviction", false, "create", "", "v1", "ns", "pods", "p1", "eviction")]
    [InlineData("GET", "/api/v1/pods", false, "list", "", "v1", "", "pods", "", "")]
    [InlineData("GET", "/api/v1/namespaces", false, "list", "", "v1", "", "namespaces", "", "")]
    [InlineData("DELETE", "/api/v1/namespaces/foo", false, "delete", "", "v1", "foo", "namespaces", "foo", "")]
    [InlineData("PUT", "/api/v1/namespaces/foo/finalize", false, "update", "", "v1", "foo", "namespaces", "foo", "finalize")]
    [InlineData("PATCH", "/api/v1/namespaces/foo/status", false, "patch", "", "v1", "foo", "namespaces", "foo", "status")]
    [InlineData("PATCH", "/apis/apps/v1/namespaces/ns/deployments/web/scale", false, "patch", "apps", "v1", "ns", "deployments", "web", "scale")]
    [InlineData("DELETE", "/apis/batch/v1/namespaces/ns/jobs", false, "deletecollection", "batch", "v1", "ns", "jobs", "", "")]
    [InlineData("GET", "/api/v1/nodes/n1", true, "watch", "", "v1", "", "nodes", "n1", "")]
    public void ParsesResourceRequests(string method, string path, bool watch, string verb, string group, string version, string ns, string resource, string name, string sub)
    {
        var info = RequestInfo.Parse(method, path, watch);
        Assert.True(info.IsResourceRequest);
        Assert.Equal((verb, group, version, ns, resource, name, sub), (info.Verb, info.Group, info.Version, info.Namespace, info.Resource, info.Name, info.Subresource));
    }

    [Theory]
    [InlineData("/version")]
    [InlineData("/api")]
    [InlineData("/apis")]
    [InlineData("/apis/apps")]
    [InlineData("/apis/apps/v1")]
    [InlineData("/openapi/v3")]
    public void DiscoveryAndOtherPathsAreNotResourceRequests(string path) =>
        Assert.False(RequestInfo.Parse("GET", path, false).IsResourceRequest);
}
