using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Caching;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Quantities;
using Anvil.Machinery.Quota;

namespace Anvil.ApiServer.Admission;

/// <summary>
/// The ResourceQuota admission plugin (plugin/pkg/admission/resourcequota): a create or update that would take a
/// namespace's usage past a quota's hard limit is refused, and an admitted one is charged to every quota that
/// constrains it in the same step, by writing the quota's status.used with its resourceVersion. Writes of one
/// namespace are serialized here and any conflict (the quota controller writing) re-reads and checks again, so
/// concurrent creates never admit more than the quota allows. A quota whose status does not yet cover its hard
/// limits gets its usage computed from the namespace's objects first. Quotas are read from the server's cache when
/// it has one (writes to quotas wait for it, see <see cref="ObjectCaches.FenceAsync"/>); after a conflict they are
/// read from the store. The charge itself is always a compare-and-swap on the stored quota.
/// </summary>
public sealed class ResourceQuotaAdmission(Func<ResourceStore> store, Func<ResourceCatalog> catalog, TimeProvider? time = null, ObjectCaches? caches = null) : IAdmissionPlugin
{
    private const int MaxAttempts = 16;
    private static readonly UserInfo Apiserver = new("system:apiserver", ["system:masters"]);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _namespaces = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Name => "ResourceQuota";

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        // Subresources (status, scale, ...) are never charged.
        if (a.Subresource.Length > 0 || a.Namespace.Length == 0 || a.Object == null) return;
        var operation = a.Operation switch { AdmissionOperation.Create => "CREATE", AdmissionOperation.Update => "UPDATE", _ => "" };
        var group = a.Resource.Group;
        var resource = a.Resource.Resource;
        if (operation.Length == 0 || !QuotaEvaluator.Handles(group, resource, operation)) return;
        var quotaDef = catalog().Find("", "v1", "resourcequotas");
        if (quotaDef == null) return;
        // Most requests meet no quota that counts them (events, leases, ...): look before taking the namespace's lock.
        var quotas = await ListQuotasAsync(quotaDef, a.Namespace, cached: true, ct).ConfigureAwait(false);
        if (!quotas.Any(q => (q["spec"]?["hard"] as JsonObject ?? []).Any(h => QuotaEvaluator.Tracks(group, resource, h.Key)))) return;
        // A create that will fail as AlreadyExists must not be charged (upstream charges it until the next recount).
        if (a.Operation == AdmissionOperation.Create && a.Name.Length > 0
            && await store().TryGetAsync(a.Resource, a.Namespace, a.Name, ct).ConfigureAwait(false) != null) return;

        var gate = _namespaces.GetOrAdd(a.Namespace, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var charged = new HashSet<string>(StringComparer.Ordinal);
            for (var attempt = 0; attempt < MaxAttempts; attempt++)
            {
                if (await TryChargeAsync(a, quotaDef, group, resource, charged, cached: attempt == 0, ct).ConfigureAwait(false)) return;
            }
            throw AdmissionErrors.Forbidden(a, "failed to update quota status: too many conflicting writes, please try again");
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<IReadOnlyList<JsonObject>> ListQuotasAsync(ResourceDefinition quotaDef, string ns, bool cached, CancellationToken ct) =>
        cached && caches?.Find("", "resourcequotas") is { } cache ? cache.List(ns)
            : (await store().ListAsync(quotaDef, ns, new ListOptions(), ct).ConfigureAwait(false)).Items;

    /// <summary>One read-check-write round; false when a quota changed underneath (try again).</summary>
    private async Task<bool> TryChargeAsync(AdmissionAttributes a, ResourceDefinition quotaDef, string group, string resource, HashSet<string> charged, bool cached, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var delta = QuotaEvaluator.Usage(group, resource, a.Object!, now);
        if (a.Operation == AdmissionOperation.Update && a.OldObject != null)
            delta = ResourceList.Subtract(delta, QuotaEvaluator.Usage(group, resource, a.OldObject, now));

        var writes = new List<JsonObject>();
        foreach (var quota in (await ListQuotasAsync(quotaDef, a.Namespace, cached, ct).ConfigureAwait(false)).OrderBy(ObjectMeta.Name, StringComparer.Ordinal))
        {
            var name = ObjectMeta.Name(quota);
            if (charged.Contains(name)) continue;
            var hard = ResourceList.Read(quota["spec"]?["hard"]);
            if (!QuotaEvaluator.MatchesScopes(quota, group, resource, a.Object!)) continue;
            var matched = hard.Keys.Where(k => QuotaEvaluator.Tracks(group, resource, k)).ToList();
            if (matched.Count == 0) continue;
            if (QuotaEvaluator.Constraints(group, resource, matched, a.Object!) is { } missing)
                throw AdmissionErrors.Forbidden(a, $"failed quota: {name}: {missing}");

            var requested = ResourceList.Mask(delta, matched);
            if (requested.Count == 0 || ResourceList.IsZero(requested)) continue;
            var used = await UsedAsync(quota, hard, a.Namespace, now, ct).ConfigureAwait(false);
            var newUsage = ResourceList.Add(used, requested);
            var (ok, exceeded) = ResourceList.LessThanOrEqual(ResourceList.Mask(newUsage, requested.Keys), hard);
            // Usage that only goes down (an update that frees something) is always allowed.
            if (!ok && exceeded.Any(k => requested[k].Sign > 0))
                throw AdmissionErrors.Forbidden(a,
                    $"exceeded quota: {name}, requested: {ResourceList.PrettyPrint(ResourceList.Mask(requested, exceeded))}, " +
                    $"used: {ResourceList.PrettyPrint(ResourceList.Mask(used, exceeded))}, limited: {ResourceList.PrettyPrint(ResourceList.Mask(hard, exceeded))}");

            var updated = (JsonObject)quota.DeepClone();
            updated["status"] = new JsonObject
            {
                ["hard"] = ResourceList.ToJson(hard),
                ["used"] = ResourceList.ToJson(ResourceList.Mask(newUsage, hard.Keys)),
            };
            writes.Add(updated);
        }
        if (a.DryRun) return true;
        foreach (var w in writes)
        {
            try
            {
                await store().UpdateAsync(quotaDef, a.Namespace, ObjectMeta.Name(w), w,
                    new WriteOptions { Subresource = "status", User = Apiserver, FieldManager = "kube-apiserver" }, ct).ConfigureAwait(false);
                charged.Add(ObjectMeta.Name(w));
            }
            catch (StatusError e) when (e.Code is 409 or 404)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// status.used for the hard names; when the status does not know some of them yet (a new quota the controller has
    /// not seen), those are counted from the namespace's objects now.
    /// </summary>
    private async Task<Dictionary<string, Quantity>> UsedAsync(JsonObject quota, Dictionary<string, Quantity> hard, string ns, DateTimeOffset now, CancellationToken ct)
    {
        var used = ResourceList.Read(quota["status"]?["used"]);
        var unknown = hard.Keys.Where(k => !used.ContainsKey(k)).ToList();
        if (unknown.Count == 0) return used;
        var computed = await QuotaUsage.CalculateAsync(quota, unknown, (g, r, c) => ListAsync(g, r, ns, c), now, ct).ConfigureAwait(false);
        foreach (var (k, v) in computed) used[k] = v;
        return used;
    }

    private async Task<IReadOnlyList<JsonObject>?> ListAsync(string group, string resource, string ns, CancellationToken ct)
    {
        var def = catalog().All.FirstOrDefault(d => d.Group == group && d.Resource == resource && d.Namespaced);
        if (def == null) return null;
        return (await store().ListAsync(def, ns, new ListOptions(), ct).ConfigureAwait(false)).Items;
    }
}
