using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// Shared behaviour of the built-in kinds' strategies: generation only for kinds that track it upstream,
/// the initial status on create, and the hooks <see cref="StatusStrategy"/> uses for <c>/status</c> updates.
/// </summary>
public abstract class BuiltinStrategy : ResourceStrategy
{
    /// <summary>Whether metadata.generation is 1 on create and bumped on spec changes (Deployment, Job, CRD, ...; not Pod, Service, ...).</summary>
    public virtual bool UsesGeneration => false;

    /// <summary>The status a new object starts with (when <see cref="ResourceStrategy.HasStatus"/>); null drops it.</summary>
    protected virtual JsonObject? InitialStatus(JsonObject obj) => null;

    public override void PrepareForCreate(JsonObject obj)
    {
        if (HasStatus)
        {
            var status = InitialStatus(obj);
            if (status != null) obj["status"] = status;
            else obj.Remove("status");
        }
        if (UsesGeneration) JsonDefaults.Meta(obj)["generation"] = JsonDefaults.Number(1);
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        if (HasStatus)
        {
            if (old["status"] is { } status) obj["status"] = status.DeepClone();
            else obj.Remove("status");
        }
        KeepGeneration(obj, old);
        if (UsesGeneration && SpecChanged(obj, old)) Bump(obj);
    }

    /// <summary>Whether an update changes what the generation tracks (the spec, by default).</summary>
    protected virtual bool SpecChanged(JsonObject obj, JsonObject old) => !JsonNode.DeepEquals(obj["spec"], old["spec"]);

    /// <summary>Requests cannot set the generation: it is copied from the stored object (rest.BeforeUpdate).</summary>
    protected static void KeepGeneration(JsonObject obj, JsonObject old)
    {
        var meta = JsonDefaults.Meta(obj);
        if (old["metadata"]?["generation"] is { } gen) meta["generation"] = gen.DeepClone();
        else meta.Remove("generation");
    }

    static void Bump(JsonObject obj)
    {
        var meta = JsonDefaults.Meta(obj);
        meta["generation"] = JsonDefaults.Number((JsonRead.Int(meta["generation"]) ?? 0) + 1);
    }

    /// <summary>
    /// Normalizes a <c>/status</c> update: everything but metadata and status comes from the stored object.
    /// Kinds whose status subresource also resets labels (Deployment) override.
    /// </summary>
    public virtual void PrepareForStatusUpdate(JsonObject obj, JsonObject old)
    {
        foreach (var (key, value) in old)
            if (key is not ("metadata" or "status" or "apiVersion" or "kind")) obj[key] = value?.DeepClone();
        foreach (var key in obj.Select(p => p.Key).ToList())
            if (key is not ("metadata" or "status" or "apiVersion" or "kind") && !old.ContainsKey(key)) obj.Remove(key);
        KeepGeneration(obj, old);
    }

    /// <summary>Validates a <c>/status</c> update (status fields only).</summary>
    public virtual IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old) => [];
}
