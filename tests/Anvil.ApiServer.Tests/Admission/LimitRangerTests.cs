using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Quantities;

namespace Anvil.ApiServer.Tests.Admission;

public sealed class LimitRangerTests : IAsyncLifetime
{
    private AdmissionFixture _f = null!;

    public async Task InitializeAsync() => _f = await AdmissionFixture.CreateAsync();
    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static Dictionary<string, Quantity> List(params (string K, string V)[] items) =>
        items.ToDictionary(i => i.K, i => Quantity.Parse(i.V), StringComparer.Ordinal);

    [Theory]
    [InlineData("min", "cpu", "50m", "10m", "", "minimum cpu usage per Container is 50m, but request is 10m")]
    [InlineData("min", "cpu", "50m", "", "", "minimum cpu usage per Container is 50m.  No request is specified")]
    [InlineData("min", "memory", "64Mi", "64Mi", "32Mi", "minimum memory usage per Container is 64Mi, but limit is 32Mi")]
    [InlineData("min", "cpu", "50m", "50m", "", null)]
    [InlineData("max", "cpu", "1", "", "2", "maximum cpu usage per Container is 1, but limit is 2")]
    [InlineData("max", "memory", "4Gi", "", "", "maximum memory usage per Container is 4Gi.  No limit is specified")]
    [InlineData("max", "cpu", "1", "1500m", "1", "maximum cpu usage per Container is 1, but request is 1500m")]
    [InlineData("max", "cpu", "1", "500m", "1", null)]
    [InlineData("ratio", "cpu", "2", "100m", "300m", "cpu max limit to request ratio per Container is 2, but provided ratio is 3.000000")]
    [InlineData("ratio", "cpu", "2", "", "300m", "cpu max limit to request ratio per Container is 2, but no request is specified or request is 0")]
    [InlineData("ratio", "cpu", "2", "100m", "", "cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0")]
    [InlineData("ratio", "memory", "2", "100Mi", "200Mi", null)]
    public void Constraints(string kind, string resource, string enforced, string request, string limit, string? expected)
    {
        var requests = request.Length > 0 ? List((resource, request)) : [];
        var limits = limit.Length > 0 ? List((resource, limit)) : [];
        var e = Quantity.Parse(enforced);
        var actual = kind switch
        {
            "min" => LimitRanger.MinConstraint("Container", resource, e, requests, limits),
            "max" => LimitRanger.MaxConstraint("Container", resource, e, requests, limits),
            _ => LimitRanger.RatioConstraint("Container", resource, e, requests, limits),
        };
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void DefaultsFollowMaxAndDefaultAsTheApiDefaultsThem()
    {
        var range = AdmissionFixture.Obj("""{"spec":{"limits":[{"type":"Container","max":{"cpu":"2"},"default":{"memory":"256Mi"},"min":{"ephemeral-storage":"1Mi"}}]}}""");
        var (requests, limits) = LimitRanger.ContainerDefaults(range);
        Assert.Equal("cpu=2,memory=256Mi", string.Join(",", limits.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")));
        Assert.Equal("cpu=2,ephemeral-storage=1Mi,memory=256Mi", string.Join(",", requests.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")));
    }

    private Task LimitRangeAsync(string limits) =>
        _f.CreateAsync("limitranges", "ns", $$$"""{"metadata":{"name":"lr"},"spec":{"limits":{{{limits}}}}}""");

    [Fact]
    public async Task PodCreateGetsDefaultsAndTheAnnotation()
    {
        await LimitRangeAsync("""[{"type":"Container","default":{"cpu":"500m","memory":"256Mi"},"defaultRequest":{"cpu":"100m","memory":"128Mi"}}]""");
        var pod = await _f.CreateAsync("pods", "ns", """
            {"metadata":{"name":"p"},"spec":{"initContainers":[{"name":"init","image":"busybox","resources":{"limits":{"cpu":"200m"}}}],
             "containers":[{"name":"app","image":"busybox"}]}}
            """);
        var app = pod["spec"]!["containers"]![0]!["resources"]!;
        Assert.Equal("""{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}}""", app.ToJsonString());
        // The init container's own cpu limit stays and its request was defaulted from it before admission.
        var init = pod["spec"]!["initContainers"]![0]!["resources"]!;
        Assert.Equal("""{"limits":{"cpu":"200m","memory":"256Mi"},"requests":{"cpu":"200m","memory":"128Mi"}}""", init.ToJsonString());
        Assert.Equal("LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; memory request for init container init; memory limit for init container init",
            pod["metadata"]!["annotations"]![LimitRanger.Annotation]!.GetValue<string>());
    }

    [Fact]
    public async Task DefaultOnlyAlsoSetsTheRequest()
    {
        await LimitRangeAsync("""[{"type":"Container","default":{"cpu":"300m"}}]""");
        var pod = await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p"));
        Assert.Equal("""{"limits":{"cpu":"300m"},"requests":{"cpu":"300m"}}""", pod["spec"]!["containers"]![0]!["resources"]!.ToJsonString());
    }

    [Fact]
    public async Task MaxViolationsAreAggregated()
    {
        await LimitRangeAsync("""[{"type":"Container","max":{"cpu":"1","memory":"4Gi"}}]""");
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("x", """{"limits":{"cpu":"2","memory":"8Gi"}}""")));
        Assert.Equal(403, e.Code);
        Assert.Equal("Forbidden", e.Reason);
        Assert.Equal("pods \"x\" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 4Gi, but limit is 8Gi]", e.Message);
    }

    [Fact]
    public async Task MinViolationOfAContainer()
    {
        await LimitRangeAsync("""[{"type":"Container","min":{"cpu":"50m"}}]""");
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("x", """{"requests":{"cpu":"10m"}}""")));
        Assert.Equal("pods \"x\" is forbidden: minimum cpu usage per Container is 50m, but request is 10m", e.Message);
    }

    [Fact]
    public async Task PodLimitsApplyToTheSumOfContainers()
    {
        await LimitRangeAsync("""[{"type":"Pod","max":{"memory":"1Gi"}}]""");
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", """
            {"metadata":{"name":"x"},"spec":{"containers":[
              {"name":"a","image":"busybox","resources":{"limits":{"memory":"768Mi"}}},
              {"name":"b","image":"busybox","resources":{"limits":{"memory":"512Mi"}}}]}}
            """));
        Assert.Equal("pods \"x\" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1280Mi", e.Message);
    }

    [Fact]
    public async Task ClaimStorageIsBoundedByMinAndMax()
    {
        await LimitRangeAsync("""[{"type":"PersistentVolumeClaim","min":{"storage":"1Gi"},"max":{"storage":"10Gi"}}]""");
        string Claim(string name, string size) =>
            "{\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":\"" + size + "\"}}}}";
        var big = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("persistentvolumeclaims", "ns", Claim("big", "20Gi")));
        Assert.Equal("persistentvolumeclaims \"big\" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi", big.Message);
        var small = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("persistentvolumeclaims", "ns", Claim("small", "500Mi")));
        Assert.Equal("persistentvolumeclaims \"small\" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi", small.Message);
        await _f.CreateAsync("persistentvolumeclaims", "ns", Claim("ok", "5Gi"));
    }

    [Fact]
    public async Task PodUpdatesAreNotValidatedAgain()
    {
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p"));
        await LimitRangeAsync("""[{"type":"Container","min":{"cpu":"50m"}}]""");
        var pod = await _f.GetAsync("pods", "ns", "p");
        pod["metadata"]!["labels"] = new JsonObject { ["x"] = "y" };
        var (updated, _) = await _f.Store.UpdateAsync(_f.Resource("pods"), "ns", "p", pod, new Anvil.ApiServer.Registry.WriteOptions { User = AdmissionFixture.Admin }, default);
        Assert.Equal("y", updated["metadata"]!["labels"]!["x"]!.GetValue<string>());
        Assert.Null(updated["metadata"]!["annotations"]);
    }
}
