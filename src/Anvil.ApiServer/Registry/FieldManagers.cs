using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Anvil.Machinery.Apply;
using Anvil.Machinery.Schema;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// One <see cref="FieldManager"/> per resource and subresource, made on first use, keeping
/// <c>metadata.managedFields</c> on every write and performing server-side apply.
/// </summary>
public sealed class FieldManagers(TimeProvider time) : IManagedFieldsHook
{
    private readonly ConcurrentDictionary<(ResourceDefinition, string), FieldManager> _managers = new();

    private FieldManager For(ResourceDefinition def, string subresource) =>
        _managers.GetOrAdd((def, subresource), key =>
        {
            var (d, sub) = key;
            // The main resource never owns status; /status owns nothing but status (and metadata).
            IEnumerable<string> reset = sub.Length > 0 && d.Strategy.ForSubresource(sub) is { } own ? own.ResetFields
                : sub == "status" ? ["spec"] : d.Strategy.ResetFields;
            return new FieldManager(d.Gvk, d.Schema ?? SchemaNode.AnyValue, reset, sub);
        });

    public void OnCreate(ResourceDefinition def, JsonObject obj, WriteOptions options) =>
        For(def, options.Subresource).UpdateInPlace(null, obj, options.FieldManager, time.GetUtcNow());

    public void OnUpdate(ResourceDefinition def, JsonObject obj, JsonObject old, WriteOptions options) =>
        For(def, options.Subresource).UpdateInPlace(old, obj, options.FieldManager, time.GetUtcNow());

    /// <summary>Server-side apply of <paramref name="applied"/> onto <paramref name="live"/> (null = create).</summary>
    public JsonObject Apply(ResourceDefinition def, JsonObject? live, JsonObject applied, WriteOptions options, bool force) =>
        For(def, options.Subresource).Apply(live, applied, options.FieldManager, force, time.GetUtcNow());
}
