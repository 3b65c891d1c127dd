using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.ApiData;
using Anvil.Machinery.Schema;
using Anvil.Machinery.Serialization;

namespace Anvil.ApiServer.OpenApi;

/// <summary>
/// Serves <c>/openapi/v3</c> (index and one document per served group/version) and <c>/openapi/v2</c>.
/// Built-in documents are the upstream 1.32 files; custom resources add generated documents.
/// The documents also feed the <see cref="SchemaRegistry"/> used for patching and validation.
/// </summary>
public sealed class OpenApiService
{
    private readonly ResourceCatalog _catalog;
    private readonly Dictionary<string, byte[]> _builtin = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _custom = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private byte[]? _index;

    public OpenApiService(ResourceCatalog catalog)
    {
        _catalog = catalog;
        foreach (var (path, resource) in ApiDataFiles.OpenApiV3Documents())
        {
            using var stream = ApiDataFiles.Open(resource);
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            _builtin[path] = ms.ToArray();
        }
        foreach (var (path, doc) in SwaggerDerivedDocuments.All())
            _builtin.TryAdd(path, doc);
        _catalog.Changed += () => { lock (_gate) _index = null; };
    }

    /// <summary>Loads the schemas of every built-in document into <paramref name="registry"/>.</summary>
    public void LoadSchemas(SchemaRegistry registry)
    {
        foreach (var bytes in _builtin.Values)
            registry.AddOpenApiV3(KubeJson.ParseObject(bytes));
    }

    /// <summary>Sets (or with null removes) the generated document of a custom resource group/version.</summary>
    public void SetCustomDocument(string path, JsonObject? document)
    {
        lock (_gate)
        {
            if (document == null) _custom.Remove(path);
            else _custom[path] = KubeJson.ToBytes(document);
            _index = null;
        }
    }

    private static string PathOf(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    /// <summary>The <c>/openapi/v3</c> index listing each served group/version with its content hash.</summary>
    public byte[] Index()
    {
        lock (_gate)
        {
            if (_index != null) return _index;
            var paths = new JsonObject();
            foreach (var (group, versions) in _catalog.Groups())
            {
                foreach (var version in versions)
                {
                    var path = PathOf(group, version);
                    var doc = DocumentLocked(path);
                    if (doc == null) continue;
                    paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={Hash(doc)}" };
                }
            }
            _index = KubeJson.ToBytes(new JsonObject { ["paths"] = paths });
            return _index;
        }
    }

    /// <summary>A group/version document by its path (e.g. "apis/apps/v1"), or null when not served.</summary>
    public byte[]? Document(string path)
    {
        lock (_gate)
        {
            var served = _catalog.Groups().Any(g => g.Versions.Any(v => PathOf(g.Group, v) == path));
            return served ? DocumentLocked(path) : null;
        }
    }

    private byte[]? DocumentLocked(string path) =>
        _custom.TryGetValue(path, out var c) ? c : _builtin.TryGetValue(path, out var b) ? b : null;

    public static string Hash(byte[] document) => Convert.ToHexString(SHA512.HashData(document));

    /// <summary>The v2 document (swagger.json).</summary>
    public static Stream SwaggerV2() => ApiDataFiles.Open("swagger.json");
}
