using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Serialization;
using Anvil.Machinery.Validation;
using Anvil.Storage;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// The generic registry store (kube-apiserver's generic/registry.Store): one engine that serves every
/// resource over <see cref="IStore"/>, running the kind's <see cref="ResourceStrategy"/> in a fixed order
/// and translating storage errors into API errors in one place.
/// Objects are stored as JSON without <c>metadata.resourceVersion</c>; it is set from the store revision on read.
/// </summary>
public sealed partial class ResourceStore
{
    /// <summary>Objects larger than this are refused, as etcd's default request limit does.</summary>
    public const int MaxObjectBytes = 1536 * 1024;

    private readonly IStore _store;
    private readonly AdmissionChain _admission;
    private readonly TimeProvider _time;

    public ResourceStore(IStore store, AdmissionChain admission, TimeProvider time)
    {
        _store = store;
        _admission = admission;
        _time = time;
    }

    public IStore Storage => _store;

    /// <summary>Reads one object, with its resourceVersion set.</summary>
    public async Task<JsonObject> GetAsync(ResourceDefinition def, string ns, string name, CancellationToken ct) =>
        Decode(await GetStoredAsync(def, ns, name, ct).ConfigureAwait(false));

    /// <summary>One object's stored bytes and revision, for answers written without parsing it (404 when absent).</summary>
    public async Task<KeyValue> GetStoredAsync(ResourceDefinition def, string ns, string name, CancellationToken ct) =>
        await _store.GetAsync(def.Key(ns, name), ct).ConfigureAwait(false) ?? throw StatusError.NotFound(def.GroupResource, name);

    /// <summary>Reads one object or null.</summary>
    public async Task<(JsonObject Object, long Revision)?> TryGetAsync(ResourceDefinition def, string ns, string name, CancellationToken ct)
    {
        var kv = await _store.GetAsync(def.Key(ns, name), ct).ConfigureAwait(false);
        return kv == null ? null : (Decode(kv), kv.ModRevision);
    }

    /// <summary>Parses stored bytes and stamps the revision as resourceVersion.</summary>
    public static JsonObject Decode(KeyValue kv) => Decode(kv.Value.Span, kv.ModRevision);

    /// <summary>Parses stored bytes and stamps <paramref name="revision"/> as resourceVersion.</summary>
    public static JsonObject Decode(ReadOnlySpan<byte> stored, long revision)
    {
        var obj = KubeJson.ParseObject(stored);
        ObjectMeta.Of(obj)["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return obj;
    }

    private static byte[] Encode(ResourceDefinition def, JsonObject obj)
    {
        var meta = ObjectMeta.Of(obj);
        var rv = meta["resourceVersion"];
        meta.Remove("resourceVersion");
        var bytes = KubeJson.ToBytes(obj);
        if (rv != null) meta["resourceVersion"] = rv.DeepClone();
        if (bytes.Length > MaxObjectBytes)
            throw StatusError.RequestEntityTooLarge($"Request entity too large: {def.Kind} \"{ObjectMeta.Name(obj)}\" is {bytes.Length} bytes, the limit is {MaxObjectBytes}");
        return bytes;
    }

    private static void SetRevision(JsonObject obj, long revision) =>
        ObjectMeta.Of(obj)["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void ThrowIfInvalid(ResourceDefinition def, JsonObject obj, List<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            var name = ObjectMeta.Name(obj);
            if (name.Length == 0) name = ObjectMeta.GenerateName(obj);
            throw StatusError.Invalid(def.Gvk, name, errors);
        }
    }

    private string Now() => ObjectMeta.FormatTime(_time.GetUtcNow());
}
