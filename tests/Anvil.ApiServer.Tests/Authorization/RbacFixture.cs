using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;
using Anvil.ApiServer.OpenApi;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;
using Anvil.Storage.Sqlite;

namespace Anvil.ApiServer.Tests.Authorization;

/// <summary>
/// A real ResourceStore over SQLite in a temporary directory with the escalation check in its admission chain,
/// and an <see cref="RbacAuthorizer"/> whose index follows the store's watch.
/// </summary>
public sealed class RbacFixture : IAsyncDisposable
{
    /// <summary>Bound for waiting on the index; a test that hits it fails rather than hangs.</summary>
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    public static readonly UserInfo Admin = new("admin", ["system:masters", "system:authenticated"]);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "anvil-rbac-" + Guid.NewGuid().ToString("N"));
    private readonly CancellationTokenSource _stop = new();
    private SqliteStore _sqlite = null!;
    private Task _running = Task.CompletedTask;

    public ResourceCatalog Catalog { get; } = new();
    public ResourceStore Store { get; private set; } = null!;
    public RbacAuthorizer Rbac { get; } = new();

    public static async Task<RbacFixture> CreateAsync(bool bootstrap = false, bool aggregate = false, params string[] namespaces)
    {
        var f = new RbacFixture();
        Directory.CreateDirectory(f._dir);
        f._sqlite = await SqliteStore.OpenAsync(Path.Combine(f._dir, "state.db"));
        var schemas = new SchemaRegistry();
        new OpenApiService(f.Catalog).LoadSchemas(schemas);
        f.Catalog.AddRange(BuiltinResources.Build(BuiltinStrategies.For, Anvil.Machinery.Tables.TablePrinters.For, Anvil.Machinery.Selectors.FieldSelectorFields.For, schemas));
        f.Store = new ResourceStore(f._sqlite, new AdmissionChain([
            new NamespaceLifecycle(() => f.Store, () => f.Def("namespaces", "")),
            new RbacEscalationCheck(f.Rbac, () => f.Store, () => f.Catalog),
        ]), TimeProvider.System);
        foreach (var ns in namespaces.Length == 0 ? ["ns"] : namespaces)
            await f.Store.CreateAsync(f.Def("namespaces", ""), "", Obj("{\"metadata\":{\"name\":\"" + ns + "\"}}"), new WriteOptions { User = Admin }, default);
        if (bootstrap) await RbacBootstrap.EnsureAsync(f.Store, f.Catalog, default);
        var tasks = new List<Task> { f.Rbac.RunAsync(f.Store, f.Catalog, f._stop.Token) };
        if (aggregate) tasks.Add(new ClusterRoleAggregator(f.Rbac, f.Store, f.Catalog).RunAsync(f._stop.Token));
        f._running = Task.WhenAll(tasks);
        using var cts = new CancellationTokenSource(WaitLimit);
        await f.Rbac.Synced.WaitAsync(cts.Token);
        return f;
    }

    public ResourceDefinition Def(string resource, string group = RbacAuthorizer.Group) =>
        Catalog.Find(group, "v1", resource) ?? throw new InvalidOperationException(resource);

    public static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;

    /// <summary>Creates an RBAC object as <paramref name="user"/> (admin by default) and waits until the index has it.</summary>
    public async Task<JsonObject> CreateAsync(string resource, string ns, string json, UserInfo? user = null)
    {
        var created = await Store.CreateAsync(Def(resource), ns, Obj(json), new WriteOptions { User = user ?? Admin }, default);
        await SeenAsync(resource, created);
        return created;
    }

    public async Task DeleteAsync(string resource, string ns, string name)
    {
        var r = await Store.DeleteAsync(Def(resource), ns, name, new DeleteOptions(), new WriteOptions { User = Admin }, default);
        await SeenAsync(resource, r.Object);
    }

    public async Task SeenAsync(string resource, JsonObject written)
    {
        using var cts = new CancellationTokenSource(WaitLimit);
        await Rbac.WaitForRevisionAsync(resource, long.Parse(ObjectMeta.ResourceVersion(written), CultureInfo.InvariantCulture), cts.Token);
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds, re-checking as the store changes.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException("condition not reached");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _running; } catch (OperationCanceledException) { }
        await _sqlite.DisposeAsync();
        Directory.Delete(_dir, true);
    }
}
