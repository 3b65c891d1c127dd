using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Admission.Webhooks;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Caching;
using Anvil.ApiServer.OpenApi;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Schema;
using Anvil.Storage.Sqlite;

namespace Anvil.ApiServer.Tests.Admission;

/// <summary>
/// A ResourceStore over SQLite in a temporary directory with the quota, limit and webhook admission plugins, reading
/// namespaces, limit ranges, quotas and webhook configurations from watch-fed caches as the server does.
/// </summary>
public sealed class AdmissionFixture : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "anvil-admission-" + Guid.NewGuid().ToString("N"));
    private SqliteStore _sqlite = null!;
    private WebhookClient _client = null!;
    private readonly CancellationTokenSource _stop = new();
    private Task _caching = Task.CompletedTask;
    public ObjectCaches Caches { get; } = new();
    public ResourceCatalog Catalog { get; } = new();
    public ResourceStore Store { get; private set; } = null!;
    /// <summary>The store below the cache fence: writes here reach the caches only through their watches.</summary>
    public Anvil.Storage.IStore Unfenced => _sqlite;
    public static readonly UserInfo Admin = new("admin", ["system:masters", "system:authenticated"]);

    public static async Task<AdmissionFixture> CreateAsync()
    {
        var f = new AdmissionFixture();
        Directory.CreateDirectory(f._dir);
        f._sqlite = await SqliteStore.OpenAsync(Path.Combine(f._dir, "state.db"));
        var schemas = new SchemaRegistry();
        new OpenApiService(f.Catalog).LoadSchemas(schemas);
        f.Catalog.AddRange(BuiltinResources.Build(BuiltinStrategies.For, Anvil.Machinery.Tables.TablePrinters.For, Anvil.Machinery.Selectors.FieldSelectorFields.For, schemas));
        f._client = new WebhookClient(() => f.Store, () => f.Catalog);
        var caches = f.Caches;
        var dispatcher = new WebhookDispatcher(() => f.Store, () => f.Catalog, f._client, caches);
        f.Store = new ResourceStore(new CacheFencedStore(f._sqlite, caches), new AdmissionChain([
            new NamespaceLifecycle(() => f.Store, () => f.Resource("namespaces"), caches),
            new LimitRanger(() => f.Store, () => f.Catalog, caches),
            new MutatingAdmissionWebhook(new WebhookConfigurationSource(() => f.Store, () => f.Catalog, "mutatingwebhookconfigurations", caches), dispatcher),
            new ValidatingAdmissionWebhook(new WebhookConfigurationSource(() => f.Store, () => f.Catalog, "validatingwebhookconfigurations", caches), dispatcher),
            new ResourceQuotaAdmission(() => f.Store, () => f.Catalog, null, caches),
        ]), TimeProvider.System);
        foreach (var (resource, group) in new[] { ("namespaces", ""), ("limitranges", ""), ("resourcequotas", ""),
                     ("mutatingwebhookconfigurations", WebhookConfigurationSource.Group), ("validatingwebhookconfigurations", WebhookConfigurationSource.Group) })
            caches.Add(new ObjectCache(f.Store, f.Resource(resource, group)));
        f._caching = caches.RunAsync(f._stop.Token);
        await caches.Synced;
        await f.CreateAsync("namespaces", "", """{"metadata":{"name":"ns","labels":{"team":"a"}}}""");
        return f;
    }

    public ResourceDefinition Resource(string resource, string group = "") => Catalog.All.Single(d => d.Resource == resource && d.Group == group);

    public static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;

    public Task<JsonObject> CreateAsync(string resource, string ns, string json, string group = "", WriteOptions? options = null) =>
        Store.CreateAsync(Resource(resource, group), ns, Obj(json), options ?? new WriteOptions { User = Admin }, default);

    public Task<JsonObject> GetAsync(string resource, string ns, string name, string group = "") =>
        Store.GetAsync(Resource(resource, group), ns, name, default);

    public static string Pod(string name, string resources = "{}", string labels = "{}") =>
        $$$"""{"metadata":{"name":"{{{name}}}","labels":{{{labels}}}},"spec":{"containers":[{"name":"app","image":"busybox","resources":{{{resources}}}}]}}""";

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        _stop.Cancel();
        await _caching;
        await _sqlite.DisposeAsync();
        Directory.Delete(_dir, true);
    }
}
