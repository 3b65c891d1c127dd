using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Tests.Store;

public sealed class ResourceStoreTests : IAsyncLifetime
{
    private StoreFixture _f = null!;
    private ResourceDefinition ConfigMaps => _f.Resource("configmaps");
    private static readonly WriteOptions Write = new();

    public async Task InitializeAsync() => _f = await StoreFixture.CreateAsync();
    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static JsonObject Cm(string name, string labels = "{}") =>
        StoreFixture.Obj($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","labels":{{{labels}}}},"data":{"a":"1"}}""");

    [Fact]
    public async Task CreateSetsSystemMetadataAndGetReturnsIt()
    {
        var created = await _f.Store.CreateAsync(ConfigMaps, "ns", Cm("c1"), Write, default);
        Assert.Matches("^[0-9a-f-]{36}$", ObjectMeta.Uid(created));
        Assert.NotEqual("", ObjectMeta.ResourceVersion(created));
        Assert.NotNull(created["metadata"]!["creationTimestamp"]);
        var read = await _f.Store.GetAsync(ConfigMaps, "ns", "c1", default);
        Assert.True(JsonNode.DeepEquals(created, read));
    }

    [Fact]
    public async Task GenerateNameAddsFiveCharacters()
    {
        var created = await _f.Store.CreateAsync(ConfigMaps, "ns", StoreFixture.Obj("""{"metadata":{"generateName":"web-"}}"""), Write, default);
        Assert.Matches("^web-[bcdfghjklmnpqrstvwxz2456789]{5}$", ObjectMeta.Name(created));
    }

    [Fact]
    public async Task DuplicateCreateIsAlreadyExists()
    {
        await _f.Store.CreateAsync(ConfigMaps, "ns", Cm("c1"), Write, default);
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.Store.CreateAsync(ConfigMaps, "ns", Cm("c1"), Write, default));
        Assert.Equal((409, "AlreadyExists", "configmaps \"c1\" already exists"), (e.Code, e.Reason, e.Message));
    }

    [Fact]
    public async Task InvalidNameIsRefusedAndNothingIsStored()
    {
        var before = _f.Store.Storage.CurrentRevision;
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.Store.CreateAsync(ConfigMaps, "ns", Cm("Foo_Bar"), Write, default));
        Assert.Equal(422, e.Code);
        Assert.StartsWith("ConfigMap \"Foo_Bar\" is invalid: metadata.name: Invalid value: \"Foo_Bar\": a lowercase RFC 1123 subdomain", e.Message);
        Assert.Equal(before, _f.Store.Storage.CurrentRevision);
    }

    [Fact]
    public async Task CreateInMissingNamespaceIsNotFound()
    {
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.Store.CreateAsync(ConfigMaps, "nope", Cm("c1"), Write, default));
        Assert.Equal((404, "namespaces \"nope\" not found"), (e.Code, e.Message));
    }

    [Fact]
    public async Task StaleUpdateIsConflict()
    {
        var created = await _f.Store.CreateAsync(ConfigMaps, "ns", Cm("c1"), Write, default);
        var first = (JsonObject)created.DeepClone();
        first["data"]!["a"] = "2";
        await _f.Store.UpdateAsync(ConfigMaps, "ns", "c1", first, Write, default);
        var stale = (JsonObject)created.DeepClone();
        stale["data"]!["a"] = "3";
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.Store.UpdateAsync(ConfigMaps, "ns", "c1", stale, Write, default));
        Assert.Equal("Operation cannot be fulfilled on configmaps \"c1\": the object has been modified; please apply your changes to the latest version and try again", e.Message);
        Assert.Equal("2", (string?)(await _f.Store.GetAsync(ConfigMaps, "ns", "c1", default))["data"]!["a"]);
    }

    [Fact]
    public async Task UpdateThatChangesNothingKeepsTheResourceVersion()
    {
        var created = await _f.Store.CreateAsync(ConfigMaps, "ns", Cm("c1"), Write, default);
        var (same, _) = await _f.Store.UpdateAsync(ConfigMaps, "ns", "c1", (JsonObject)created.DeepClone(), Write, default);
        Assert.Equal(ObjectMeta.ResourceVersion(created), ObjectMeta.ResourceVersion(same));
    }

    [Fact]
    public async Task DryRunStoresNothing()
    {
        var before = _f.Store.Storage.CurrentRevision;
        await _f.Store.CreateAsync(ConfigMaps, "ns", Cm("c1"), Write with { DryRun = true }, default);
        Assert.Equal(before, _f.Store.Storage.CurrentRevision);
        Assert.Null(await _f.Store.TryGetAsync(ConfigMaps, "ns", "c1", default));
    }

    [Fact]
    public async Task FinalizersHoldAnObjectUntilRemoved()
    {
        var obj = Cm("c1");
        obj["metadata"]!["finalizers"] = new JsonArray("example.com/hold");
        await _f.Store.CreateAsync(ConfigMaps, "ns", obj, Write, default);
        var result = await _f.Store.DeleteAsync(ConfigMaps, "ns", "c1", new DeleteOptions(), Write, default);
        Assert.False(result.Removed);
        var marked = await _f.Store.GetAsync(ConfigMaps, "ns", "c1", default);
        Assert.True(ObjectMeta.IsDeleting(marked));
        marked["metadata"]!.AsObject().Remove("finalizers");
        await _f.Store.UpdateAsync(ConfigMaps, "ns", "c1", marked, Write, default);
        Assert.Null(await _f.Store.TryGetAsync(ConfigMaps, "ns", "c1", default));
    }

    [Fact]
    public async Task APodInItsGracePeriodOutlivesUpdatesUntilItsKubeletDeletesIt()
    {
        // The kubelet reports the stopped containers before its final delete; that status write (and the removal of a
        // last finalizer meanwhile) must not end the pod early, as upstream only deletes on update at grace 0.
        var pods = _f.Resource("pods");
        var pod = StoreFixture.Obj("""{"metadata":{"name":"p","finalizers":["example.com/hold"]},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"busybox"}]}}""");
        await _f.Store.CreateAsync(pods, "ns", pod, Write, default);
        var result = await _f.Store.DeleteAsync(pods, "ns", "p", new DeleteOptions(), Write, default);
        Assert.False(result.Removed);
        Assert.Equal(30, (long?)result.Object["metadata"]!["deletionGracePeriodSeconds"]);

        var marked = await _f.Store.GetAsync(pods, "ns", "p", default);
        marked["metadata"]!.AsObject().Remove("finalizers");
        marked["metadata"]!["labels"] = new JsonObject { ["stopped"] = "true" };
        await _f.Store.UpdateAsync(pods, "ns", "p", marked, Write, default);
        var kept = await _f.Store.GetAsync(pods, "ns", "p", default);
        Assert.Equal("true", (string?)kept["metadata"]!["labels"]!["stopped"]);

        result = await _f.Store.DeleteAsync(pods, "ns", "p", new DeleteOptions { GracePeriodSeconds = 0 }, Write, default);
        Assert.True(result.Removed);
        Assert.Null(await _f.Store.TryGetAsync(pods, "ns", "p", default));
    }

    [Theory]
    [InlineData(PropagationPolicy.Orphan, "orphan")]
    [InlineData(PropagationPolicy.Foreground, "foregroundDeletion")]
    public async Task PropagationPoliciesAddTheirFinalizer(PropagationPolicy policy, string finalizer)
    {
        await _f.Store.CreateAsync(ConfigMaps, "ns", Cm("c1"), Write, default);
        var result = await _f.Store.DeleteAsync(ConfigMaps, "ns", "c1", new DeleteOptions { Propagation = policy }, Write, default);
        Assert.False(result.Removed);
        Assert.Contains(finalizer, ObjectMeta.Finalizers(result.Object));
    }

    [Fact]
    public async Task PagedListReturnsEveryObjectOnce()
    {
        for (var i = 0; i < 25; i++) await _f.Store.CreateAsync(ConfigMaps, "ns", Cm($"c{i:00}"), Write, default);
        var names = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await _f.Store.ListAsync(ConfigMaps, "ns", new ListOptions { Limit = 10, Continue = token }, default);
            names.AddRange(page.Items.Select(ObjectMeta.Name));
            token = page.Continue;
            pages++;
        } while (token.Length > 0 && pages < 10);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"c{i:00}"), names);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task BadContinueTokenIsBadRequest()
    {
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.Store.ListAsync(ConfigMaps, "ns", new ListOptions { Continue = "not-a-token" }, default));
        Assert.Equal(400, e.Code);
    }

    [Fact]
    public async Task FilteredWatchSeesAnObjectLeaveTheSelection()
    {
        var created = await _f.Store.CreateAsync(ConfigMaps, "ns", Cm("c1", """{"app":"web"}"""), Write, default);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = await _f.Store.WatchAsync(ConfigMaps, "ns", new WatchOptions
        {
            ResourceVersion = ObjectMeta.ResourceVersion(created),
            Predicate = o => (string?)ObjectMeta.Labels(o)?["app"] == "web",
        }, cts.Token);
        var relabelled = (JsonObject)created.DeepClone();
        relabelled["metadata"]!["labels"] = new JsonObject { ["app"] = "db" };
        await _f.Store.UpdateAsync(ConfigMaps, "ns", "c1", relabelled, Write, default);
        await foreach (var ev in events)
        {
            if (ev.Type == ApiWatchEvent.Progress) continue;
            Assert.Equal(ApiWatchEvent.Deleted, ev.Type);
            Assert.Equal("db", (string?)ObjectMeta.Labels(ev.Object)?["app"]);
            return;
        }
        Assert.Fail("the watch ended without an event");
    }

    [Fact]
    public async Task ObjectsOverTheSizeLimitAreRefused()
    {
        // A pod has no size rule of its own, so the store's 1.5 MiB limit is what refuses it.
        var pods = _f.Resource("pods");
        var big = StoreFixture.Obj("""{"metadata":{"name":"big"},"spec":{"containers":[{"name":"c","image":"busybox","env":[{"name":"BLOB"}]}]}}""");
        big["spec"]!["containers"]![0]!["env"]![0]!["value"] = new string('x', ResourceStore.MaxObjectBytes);
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.Store.CreateAsync(pods, "ns", big, Write, default));
        Assert.Equal((413, "RequestEntityTooLarge"), (e.Code, e.Reason));
        Assert.Null(await _f.Store.TryGetAsync(pods, "ns", "big", default));
    }

    [Fact]
    public async Task WatchFromACompactedRevisionIsGone()
    {
        var first = await _f.Store.CreateAsync(ConfigMaps, "ns", Cm("c1"), Write, default);
        for (var i = 0; i < 3; i++)
        {
            var next = await _f.Store.GetAsync(ConfigMaps, "ns", "c1", default);
            next["data"]!["a"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await _f.Store.UpdateAsync(ConfigMaps, "ns", "c1", next, Write, default);
        }
        await _f.Store.Storage.CompactAsync(_f.Store.Storage.CurrentRevision);
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.Store.WatchAsync(ConfigMaps, "ns",
            new WatchOptions { ResourceVersion = "1" }, default));
        Assert.Equal((410, "Expired"), (e.Code, e.Reason));
        Assert.StartsWith("too old resource version: 1 (", e.Message);
        _ = first;
    }
}
