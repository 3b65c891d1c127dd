using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// Per-kind rules for the generic store, with kube-apiserver's seam names (rest.RESTCreateStrategy,
/// RESTUpdateStrategy). The store calls them in a fixed order:
/// create: Default → PrepareForCreate → ObjectMeta validation → Validate → WarningsOnCreate → Canonicalize;
/// update: Default → PrepareForUpdate → ObjectMeta validation → ValidateUpdate → WarningsOnUpdate → Canonicalize.
/// Strategies are stateless singletons working on the object's JSON.
/// </summary>
public class ResourceStrategy
{
    /// <summary>True when the kind has a <c>/status</c> subresource: the main strategy then keeps the stored status on update and clears it on create.</summary>
    public virtual bool HasStatus => false;

    /// <summary>Which rule <c>metadata.name</c> follows; most kinds are DNS-1123 subdomains.</summary>
    public virtual NameRule NameRule => NameRule.Dns1123Subdomain;

    /// <summary>Fills defaults (pkg/apis/&lt;group&gt;/v1/defaults.go). Runs on every write's incoming object. May mutate.</summary>
    public virtual void Default(JsonObject obj) { }

    /// <summary>Normalizes a new object before validation: clears status (when <see cref="HasStatus"/>), sets generation 1. May mutate.</summary>
    public virtual void PrepareForCreate(JsonObject obj)
    {
        if (HasStatus) obj.Remove("status");
    }

    /// <summary>
    /// <see cref="PrepareForCreate(JsonObject)"/> with the requesting user, for kinds that record who asked
    /// (a CertificateSigningRequest's spec.username). The store calls this one. May mutate.
    /// </summary>
    public virtual void PrepareForCreate(JsonObject obj, UserInfo user) => PrepareForCreate(obj);

    /// <summary>
    /// A strategy of the kind's own for writes through <paramref name="subresource"/> (e.g. a CSR's
    /// <c>approval</c>); null leaves the store's default for that subresource.
    /// </summary>
    public virtual ResourceStrategy? ForSubresource(string subresource) => null;

    /// <summary>Validates a new object's kind-specific fields (not ObjectMeta, which the store checks). Must not mutate.</summary>
    public virtual IEnumerable<FieldError> Validate(JsonObject obj) => [];

    /// <summary>Warnings for a valid new object (each at most 120 characters, "path.to.field: message"). Must not mutate.</summary>
    public virtual IEnumerable<string> WarningsOnCreate(JsonObject obj) => [];

    /// <summary>Puts a validated object into canonical form before it is stored. May mutate.</summary>
    public virtual void Canonicalize(JsonObject obj) { }

    /// <summary>Whether a PUT to a missing object creates it.</summary>
    public virtual bool AllowCreateOnUpdate => false;

    /// <summary>
    /// Normalizes an update: keeps the stored status (when <see cref="HasStatus"/>) and bumps
    /// <c>metadata.generation</c> when the spec changed. <paramref name="old"/> must not be mutated.
    /// </summary>
    public virtual void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        if (HasStatus)
        {
            if (old["status"] is { } status) obj["status"] = status.DeepClone();
            else obj.Remove("status");
        }
        BumpGenerationIfChanged(obj, old, "spec");
    }

    /// <summary>Validates an update, including immutable fields. Must not mutate.</summary>
    public virtual IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) => Validate(obj);

    public virtual IEnumerable<string> WarningsOnUpdate(JsonObject obj, JsonObject old) => [];

    /// <summary>Whether an update without <c>metadata.resourceVersion</c> is allowed (last write wins).</summary>
    public virtual bool AllowUnconditionalUpdate => true;

    /// <summary>
    /// The grace period of a delete, or null when the kind deletes at once (rest.RESTGracefulDeleteStrategy).
    /// <paramref name="requested"/> is DeleteOptions.gracePeriodSeconds. A positive result sets
    /// deletionTimestamp and leaves the object for its owner (the kubelet) to remove.
    /// </summary>
    public virtual long? GracefulDeletePeriod(JsonObject obj, long? requested) => null;

    /// <summary>
    /// True while something other than metadata.finalizers must happen before the object may go
    /// (a namespace's spec.finalizers). Such objects are only marked on delete.
    /// </summary>
    public virtual bool BlocksDeletion(JsonObject obj) => false;

    /// <summary>Adjusts an object being marked for deletion (a namespace turns Terminating). May mutate.</summary>
    public virtual void PrepareForDelete(JsonObject obj) { }

    /// <summary>Whether DELETE answers with the deleted object instead of a Success Status (pods, namespaces do).</summary>
    public virtual bool ReturnDeletedObject => false;

    /// <summary>The propagation policy when the request names none (Background for most kinds).</summary>
    public virtual PropagationPolicy DefaultPropagation => PropagationPolicy.Background;

    /// <summary>Top-level fields this strategy keeps from the stored object (for server-side apply's reset fields).</summary>
    public virtual IReadOnlyList<string> ResetFields => HasStatus ? ["status"] : [];

    /// <summary>Increments metadata.generation when <paramref name="field"/> differs between the two objects.</summary>
    protected static void BumpGenerationIfChanged(JsonObject obj, JsonObject old, string field)
    {
        // Kinds without a generation (ConfigMap, Secret, ...) never get one.
        if (old["metadata"]?["generation"] is not JsonValue g || !g.TryGetValue<long>(out var oldGen)) return;
        var changed = !JsonNode.DeepEquals(obj[field], old[field]);
        if (obj["metadata"] is JsonObject meta) meta["generation"] = changed ? oldGen + 1 : oldGen;
    }
}
