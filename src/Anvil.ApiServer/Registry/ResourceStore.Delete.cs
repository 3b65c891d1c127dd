using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Storage;

namespace Anvil.ApiServer.Registry;

/// <summary>The outcome of a DELETE: the object as last seen and whether it is gone already.</summary>
public sealed record DeleteResult(JsonObject Object, bool Removed);

public sealed partial class ResourceStore
{
    public const string OrphanFinalizer = "orphan";
    public const string ForegroundFinalizer = "foregroundDeletion";

    /// <summary>
    /// Deletes an object as the generic store does: preconditions, admission, then either marks it
    /// (deletionTimestamp) when finalizers, a graceful period or a foreground/orphan propagation need
    /// others to act first, or removes it.
    /// </summary>
    public async Task<DeleteResult> DeleteAsync(ResourceDefinition def, string ns, string name, DeleteOptions options, WriteOptions write, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await _store.GetAsync(def.Key(ns, name), ct).ConfigureAwait(false)
                ?? throw StatusError.NotFound(def.GroupResource, name);
            var obj = Decode(current);
            CheckPreconditions(def, name, obj, options);
            // Mutating admission sees deletes too (webhooks are called, nothing can be changed).
            var attrs = new AdmissionAttributes(AdmissionOperation.Delete, def, "", ns, name, null, obj, write.User, options.DryRun || write.DryRun) { Warnings = write.Warnings };
            await _admission.MutateAsync(attrs, ct).ConfigureAwait(false);
            await _admission.ValidateAsync(attrs, ct).ConfigureAwait(false);

            var marked = (JsonObject)obj.DeepClone();
            var meta = ObjectMeta.Of(marked);
            var finalizers = ObjectMeta.Finalizers(marked).ToList();
            var propagation = options.Propagation ?? def.Strategy.DefaultPropagation;
            var alreadyDeleting = ObjectMeta.IsDeleting(obj);
            if (propagation == PropagationPolicy.Orphan && !finalizers.Contains(OrphanFinalizer) && !alreadyDeleting)
                finalizers.Add(OrphanFinalizer);
            if (propagation == PropagationPolicy.Foreground && !finalizers.Contains(ForegroundFinalizer))
            {
                finalizers.Remove(OrphanFinalizer);
                finalizers.Add(ForegroundFinalizer);
            }
            var grace = def.Strategy.GracefulDeletePeriod(obj, options.GracePeriodSeconds);
            var graceful = grace is > 0;

            if (finalizers.Count == 0 && !graceful && !def.Strategy.BlocksDeletion(obj))
            {
                if (options.DryRun || write.DryRun) return new DeleteResult(obj, true);
                try
                {
                    var (rev, _) = await _store.DeleteAsync(def.Key(ns, name), current.ModRevision, ct).ConfigureAwait(false);
                    SetRevision(obj, rev);
                    return new DeleteResult(obj, true);
                }
                catch (RevisionConflictException) when (attempt < MaxUpdateAttempts) { continue; }
                catch (KeyNotFoundException) { throw StatusError.NotFound(def.GroupResource, name); }
            }

            ObjectMeta.SetFinalizers(marked, finalizers);
            if (!alreadyDeleting)
            {
                var when = graceful ? _time.GetUtcNow().AddSeconds(grace!.Value) : _time.GetUtcNow();
                meta["deletionTimestamp"] = ObjectMeta.FormatTime(when);
                meta["deletionGracePeriodSeconds"] = graceful ? grace!.Value : 0;
            }
            else if (graceful && meta["deletionGracePeriodSeconds"]?.GetValue<long>() is { } existing && grace < existing)
            {
                // The grace period may only shorten.
                meta["deletionTimestamp"] = ObjectMeta.FormatTime(_time.GetUtcNow().AddSeconds(grace!.Value));
                meta["deletionGracePeriodSeconds"] = grace!.Value;
            }
            def.Strategy.PrepareForDelete(marked);
            if (JsonNode.DeepEquals(marked, obj)) return new DeleteResult(obj, false);
            if (options.DryRun || write.DryRun) return new DeleteResult(marked, false);
            try
            {
                var rev = await _store.UpdateAsync(def.Key(ns, name), Encode(def, marked), current.ModRevision, ct).ConfigureAwait(false);
                SetRevision(marked, rev);
                return new DeleteResult(marked, false);
            }
            catch (RevisionConflictException) when (attempt < MaxUpdateAttempts) { }
        }
    }

    private static void CheckPreconditions(ResourceDefinition def, string name, JsonObject obj, DeleteOptions options)
    {
        if (options.PreconditionUid is { Length: > 0 } uid && uid != ObjectMeta.Uid(obj))
            throw new StatusError(409, "Conflict", $"Operation cannot be fulfilled on {def.GroupResource} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {ObjectMeta.Uid(obj)}")
            { DetailsName = name, DetailsGroup = def.Group, DetailsKind = def.Resource };
        if (options.PreconditionResourceVersion is { Length: > 0 } rv && rv != ObjectMeta.ResourceVersion(obj))
            throw new StatusError(409, "Conflict", $"Operation cannot be fulfilled on {def.GroupResource} \"{name}\": Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {ObjectMeta.ResourceVersion(obj)}")
            { DetailsName = name, DetailsGroup = def.Group, DetailsKind = def.Resource };
    }
}
