using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;
using Anvil.Storage;

namespace Anvil.ApiServer.Registry;

public sealed partial class ResourceStore
{
    private const int MaxUpdateAttempts = 16;

    /// <summary>
    /// PUT: replaces an object. A resourceVersion in the body is a precondition (409 Conflict when stale);
    /// without one the update is unconditional where the strategy allows it. Returns the stored object
    /// and whether it was created (create-on-update).
    /// </summary>
    public async Task<(JsonObject Object, bool Created)> UpdateAsync(ResourceDefinition def, string ns, string name, JsonObject obj, WriteOptions options, CancellationToken ct)
    {
        var bodyName = ObjectMeta.Name(obj);
        if (bodyName.Length > 0 && bodyName != name)
            throw StatusError.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        if (def.Namespaced && ObjectMeta.Namespace(obj) is { Length: > 0 } bodyNs && bodyNs != ns)
            throw StatusError.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        ObjectMeta.Of(obj)["name"] = name;

        var requestedRv = ObjectMeta.ResourceVersion(obj);
        for (var attempt = 0; ; attempt++)
        {
            var current = await _store.GetAsync(def.Key(ns, name), ct).ConfigureAwait(false);
            if (current == null)
            {
                if (!def.Strategy.AllowCreateOnUpdate || options.Subresource.Length > 0) throw StatusError.NotFound(def.GroupResource, name);
                ObjectMeta.Of(obj).Remove("resourceVersion");
                return (await CreateAsync(def, ns, obj, options, ct).ConfigureAwait(false), true);
            }
            var old = Decode(current);
            if (requestedRv.Length == 0)
            {
                if (!def.Strategy.AllowUnconditionalUpdate)
                    throw StatusError.Invalid(def.Gvk, name, [FieldError.Invalid("metadata.resourceVersion", "", "must be specified for an update")]);
            }
            else if (requestedRv != ObjectMeta.ResourceVersion(old))
            {
                throw StatusError.OptimisticLock(def.GroupResource, name);
            }
            var candidate = (JsonObject)obj.DeepClone();
            try
            {
                return (await UpdateExistingAsync(def, ns, name, candidate, old, current.ModRevision, options, ct).ConfigureAwait(false), false);
            }
            catch (RevisionConflictException) when (requestedRv.Length == 0 && attempt < MaxUpdateAttempts)
            {
                // Unconditional update raced another writer: read again and retry.
            }
            catch (RevisionConflictException)
            {
                throw StatusError.OptimisticLock(def.GroupResource, name);
            }
        }
    }

    /// <summary>
    /// Read-modify-write for PATCH and for internal updates (GuaranteedUpdate): <paramref name="mutate"/> gets a
    /// copy of the current object and returns the desired one. Retried on conflicts unless the result carries
    /// a resourceVersion of its own (a precondition). <paramref name="createIfMissing"/> lets server-side apply
    /// create: it is called with null. <paramref name="hasPrecondition"/> says the request itself named a
    /// resourceVersion, so a race is a 409 instead of a retry.
    /// </summary>
    public async Task<(JsonObject Object, bool Created)> GuaranteedUpdateAsync(
        ResourceDefinition def, string ns, string name, Func<JsonObject?, JsonObject> mutate, WriteOptions options,
        bool createIfMissing, bool hasPrecondition, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await _store.GetAsync(def.Key(ns, name), ct).ConfigureAwait(false);
            if (current == null)
            {
                if (!createIfMissing) throw StatusError.NotFound(def.GroupResource, name);
                var fresh = mutate(null);
                ObjectMeta.Of(fresh)["name"] = name;
                try
                {
                    return (await CreateAsync(def, ns, fresh, options, ct).ConfigureAwait(false), true);
                }
                catch (StatusError e) when (e.Reason == "AlreadyExists" && attempt < MaxUpdateAttempts)
                {
                    continue;
                }
            }
            var old = Decode(current);
            var desired = mutate((JsonObject)old.DeepClone());
            var desiredRv = ObjectMeta.ResourceVersion(desired);
            if (desiredRv.Length > 0 && desiredRv != ObjectMeta.ResourceVersion(old)) throw StatusError.OptimisticLock(def.GroupResource, name);
            try
            {
                return (await UpdateExistingAsync(def, ns, name, desired, old, current.ModRevision, options, ct).ConfigureAwait(false), false);
            }
            catch (RevisionConflictException) when (!hasPrecondition && attempt < MaxUpdateAttempts)
            {
            }
            catch (RevisionConflictException)
            {
                throw StatusError.OptimisticLock(def.GroupResource, name);
            }
        }
    }

    /// <summary>The common update path (rest.BeforeUpdate): system fields from the old object, strategy, admission, guarded write.</summary>
    private async Task<JsonObject> UpdateExistingAsync(ResourceDefinition def, string ns, string name, JsonObject obj, JsonObject old, long oldRevision, WriteOptions options, CancellationToken ct)
    {
        DecodeAsGoTypes(def, obj);
        obj["apiVersion"] = def.ApiVersion;
        obj["kind"] = def.Kind;
        var meta = ObjectMeta.Of(obj);
        var oldMeta = ObjectMeta.Of(old);
        meta["name"] = name;
        if (def.Namespaced) meta["namespace"] = ns; else meta.Remove("namespace");
        var uid = ObjectMeta.Uid(obj);
        if (uid.Length > 0 && uid != ObjectMeta.Uid(old))
            throw new StatusError(409, "Conflict", $"Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectMeta.Uid(old)}")
            { DetailsName = name, DetailsGroup = def.Group, DetailsKind = def.Resource };
        CopyField(oldMeta, meta, "uid");
        CopyField(oldMeta, meta, "creationTimestamp");
        CopyField(oldMeta, meta, "deletionTimestamp");
        CopyField(oldMeta, meta, "deletionGracePeriodSeconds");
        CopyField(oldMeta, meta, "generation");
        meta["resourceVersion"] = oldMeta["resourceVersion"]?.DeepClone();
        meta.Remove("selfLink");

        var strategy = StrategyFor(def, options.Subresource);
        strategy.Default(obj);
        var attrs = new AdmissionAttributes(AdmissionOperation.Update, def, options.Subresource, ns, name, obj, old, options.User, options.DryRun) { Warnings = options.Warnings };
        await _admission.MutateAsync(attrs, ct).ConfigureAwait(false);
        strategy.PrepareForUpdate(obj, old);
        // A Service turned NodePort (or from ExternalName) gets its node ports (cluster IP) here, as on create.
        if (def.Group.Length == 0 && def.Resource == "services" && options.Subresource.Length == 0)
            await _services.AllocateAsync(this, def, obj, old, options.DryRun, ct).ConfigureAwait(false);
        var errors = MetaValidation.ValidateForUpdate(def, obj, old);
        errors.AddRange(strategy.ValidateUpdate(obj, old));
        ThrowIfInvalid(def, obj, errors);
        options.Warnings.AddRange(strategy.WarningsOnUpdate(obj, old));
        strategy.Canonicalize(obj);
        if (!options.IsApply) ManagedFields?.OnUpdate(def, obj, old, options);
        MetadataCanonical.DropEmpty(obj);
        await _admission.ValidateAsync(attrs, ct).ConfigureAwait(false);

        // A write that changes nothing is not written, so the resourceVersion stays (as etcd3 GuaranteedUpdate).
        if (SameIgnoringManagedFieldTimes(obj, old)) return old;

        var bytes = Encode(def, obj);
        if (options.DryRun) return obj;

        // An object being deleted whose last finalizer is removed goes away now, unless it is still in a grace period
        // (a pod its kubelet is stopping): upstream's ShouldDeleteDuringUpdate asks for deletionGracePeriodSeconds 0.
        if (ObjectMeta.IsDeleting(obj) && ObjectMeta.Finalizers(obj).Count == 0 && GraceOver(old) && !def.Strategy.BlocksDeletion(obj))
        {
            var (rev, _) = await DeleteKeyAsync(def, ns, name, oldRevision, ct).ConfigureAwait(false);
            SetRevision(obj, rev);
            return obj;
        }
        var newRev = await _store.UpdateAsync(def.Key(ns, name), bytes, oldRevision, ct).ConfigureAwait(false);
        SetRevision(obj, newRev);
        options.Stored = (bytes, newRev);
        return obj;
    }

    private static bool GraceOver(JsonObject old) => JsonRead.Int(old["metadata"]?["deletionGracePeriodSeconds"]) == 0;

    private async Task<(long Revision, KeyValue Deleted)> DeleteKeyAsync(ResourceDefinition def, string ns, string name, long expectedRevision, CancellationToken ct)
    {
        try
        {
            return await _store.DeleteAsync(def.Key(ns, name), expectedRevision, ct).ConfigureAwait(false);
        }
        catch (KeyNotFoundException)
        {
            throw StatusError.NotFound(def.GroupResource, name);
        }
    }

    private static ResourceStrategy StrategyFor(ResourceDefinition def, string subresource) => subresource switch
    {
        _ when subresource.Length > 0 && def.Strategy.ForSubresource(subresource) is { } own => own,
        "status" => new StatusStrategy(def.Strategy),
        "finalize" => new FinalizeSubresourceStrategy(def.Strategy),
        _ => def.Strategy,
    };

    private static void CopyField(JsonObject from, JsonObject to, string field)
    {
        if (from[field] is { } v) to[field] = v.DeepClone();
        else to.Remove(field);
    }

    private static bool SameIgnoringManagedFieldTimes(JsonObject a, JsonObject b)
    {
        var x = (JsonObject)a.DeepClone();
        var y = (JsonObject)b.DeepClone();
        StripManagedTimes(x);
        StripManagedTimes(y);
        return JsonNode.DeepEquals(x, y);
    }

    private static void StripManagedTimes(JsonObject obj)
    {
        if (obj["metadata"]?["managedFields"] is JsonArray entries)
            foreach (var e in entries.OfType<JsonObject>()) e.Remove("time");
    }
}
