using System.Text.Json.Nodes;
using Anvil.ApiServer.Caching;
using Anvil.ApiServer.Registry;
using Anvil.ApiServer.Tests.Admission;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Tests.Caching;

public sealed class ObjectCacheTests : IAsyncLifetime
{
    private AdmissionFixture _f = null!;

    public async Task InitializeAsync() => _f = await AdmissionFixture.CreateAsync();
    public async Task DisposeAsync() => await _f.DisposeAsync();

    private ObjectCache LimitRanges => _f.Caches.Find("", "limitranges") ?? throw new InvalidOperationException("not synced");

    private static string Range(string name, string cpu) =>
        $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"limits":[{"type":"Container","default":{"cpu":"{{{cpu}}}"}}]}}""";

    private string[] Names(string ns) => LimitRanges.List(ns).Select(ObjectMeta.Name).ToArray();

    [Fact]
    public async Task AWriteIsInTheCacheWhenItReturns()
    {
        await _f.CreateAsync("namespaces", "", """{"metadata":{"name":"other"}}""");
        await _f.CreateAsync("limitranges", "ns", Range("b", "1"));
        var a = await _f.CreateAsync("limitranges", "ns", Range("a", "1"));
        await _f.CreateAsync("limitranges", "other", Range("c", "1"));
        Assert.Equal(["a", "b"], Names("ns"));
        Assert.Equal(["c"], Names("other"));
        Assert.Empty(Names("none"));
        Assert.True(LimitRanges.Revision >= long.Parse(ObjectMeta.ResourceVersion(a)));

        var def = _f.Resource("limitranges");
        a["spec"]!["limits"]![0]!["default"]!["cpu"] = "2";
        var updated = (await _f.Store.UpdateAsync(def, "ns", "a", a, new WriteOptions { User = AdmissionFixture.Admin }, default)).Object;
        var cached = LimitRanges.Get("ns", "a")!;
        Assert.Equal("2", (string?)cached["spec"]!["limits"]![0]!["default"]!["cpu"]);
        Assert.Equal(ObjectMeta.ResourceVersion(updated), ObjectMeta.ResourceVersion(cached));

        await _f.Store.DeleteAsync(def, "ns", "b", new DeleteOptions(), new WriteOptions { User = AdmissionFixture.Admin }, default);
        Assert.Equal(["a"], Names("ns"));
        Assert.Null(LimitRanges.Get("ns", "b"));
    }

    [Fact]
    public async Task AWriteBelowTheFenceArrivesThroughTheWatch()
    {
        var def = _f.Resource("limitranges");
        var raw = new ResourceStore(_f.Unfenced, new Anvil.ApiServer.Admission.AdmissionChain([]), TimeProvider.System);
        var created = await raw.CreateAsync(def, "ns", AdmissionFixture.Obj(Range("x", "1")), new WriteOptions { User = AdmissionFixture.Admin }, default);
        await LimitRanges.WaitForRevisionAsync(long.Parse(ObjectMeta.ResourceVersion(created)), default).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(["x"], Names("ns"));
    }

    [Fact]
    public void OnlyCachedResourcesAreFound()
    {
        Assert.NotNull(_f.Caches.Find("", "namespaces"));
        Assert.Null(_f.Caches.Find("", "pods"));
        Assert.Null(_f.Caches.Find("apps", "namespaces"));
    }

    [Fact]
    public async Task AnUnsyncedCacheIsNotFound()
    {
        var caches = new ObjectCaches();
        var cache = caches.Add(new ObjectCache(_f.Store, _f.Resource("limitranges")));
        Assert.Null(caches.Find("", "limitranges"));
        // Before the first list a write does not wait for it.
        await caches.FenceAsync(_f.Resource("limitranges").Key("ns", "a"), long.MaxValue, default);
        Assert.False(cache.HasSynced);
    }

    [Fact]
    public async Task NamespaceLifecycleReadsTheCachedNamespace()
    {
        var def = _f.Resource("namespaces");
        await _f.Store.DeleteAsync(def, "", "ns", new DeleteOptions(), new WriteOptions { User = AdmissionFixture.Admin }, default);
        var e = await Assert.ThrowsAsync<Anvil.Machinery.Errors.StatusError>(() => _f.CreateAsync("configmaps", "ns", """{"metadata":{"name":"c"}}"""));
        Assert.Equal("configmaps \"c\" is forbidden: unable to create new content in namespace ns because it is being terminated", e.Message);
    }
}
