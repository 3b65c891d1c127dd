using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.OpenApi;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Schema;
using Anvil.Storage.Sqlite;

namespace Anvil.ApiServer.Tests.Store;

/// <summary>A ResourceStore over a real SQLite file in a temporary directory, with the built-in kinds.</summary>
public sealed class StoreFixture : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "anvil-store-" + Guid.NewGuid().ToString("N"));
    private SqliteStore _sqlite = null!;
    public ResourceCatalog Catalog { get; } = new();
    public ResourceStore Store { get; private set; } = null!;

    public static async Task<StoreFixture> CreateAsync()
    {
        var f = new StoreFixture();
        Directory.CreateDirectory(f._dir);
        f._sqlite = await SqliteStore.OpenAsync(Path.Combine(f._dir, "state.db"));
        var schemas = new SchemaRegistry();
        new OpenApiService(f.Catalog).LoadSchemas(schemas);
        f.Catalog.AddRange(BuiltinResources.Build(BuiltinStrategies.For, Anvil.Machinery.Tables.TablePrinters.For, Anvil.Machinery.Selectors.FieldSelectorFields.For, schemas));
        f.Store = new ResourceStore(f._sqlite, new AdmissionChain([new NamespaceLifecycle(() => f.Store, () => f.Resource("namespaces"))]), TimeProvider.System);
        await f.Store.CreateAsync(f.Resource("namespaces"), "", Obj("""{"metadata":{"name":"ns"}}"""), new WriteOptions(), default);
        return f;
    }

    public ResourceDefinition Resource(string resource, string group = "") => Catalog.All.Single(d => d.Resource == resource && d.Group == group);

    public static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;

    public async ValueTask DisposeAsync()
    {
        await _sqlite.DisposeAsync();
        Directory.Delete(_dir, true);
    }
}
