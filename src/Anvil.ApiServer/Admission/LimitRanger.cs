using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Caching;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Quantities;
using Anvil.Machinery.Quota;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Admission;

/// <summary>
/// The LimitRanger admission plugin (plugin/pkg/admission/limitranger): on pod create, containers without requests
/// or limits get the defaults of each Container LimitRange in the namespace (noted in the
/// <c>kubernetes.io/limit-ranger</c> annotation); then min, max and maxLimitRequestRatio of Container and Pod limits
/// are enforced on pods, and min and max of PersistentVolumeClaim limits on claims. Pod updates are left alone, as
/// their containers' resources cannot change. LimitRanges come from the server's cache when it has one.
/// </summary>
public sealed class LimitRanger(Func<ResourceStore> store, Func<ResourceCatalog> catalog, ObjectCaches? caches = null) : IAdmissionPlugin
{
    public const string Annotation = "kubernetes.io/limit-ranger";
    private const long MaxMilliValue = long.MaxValue / 1000;

    public string Name => "LimitRanger";

    public async ValueTask MutateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (!Supports(a) || a.Resource.Resource != "pods" || a.Object == null) return;
        var ranges = await LimitRangesAsync(a, ct).ConfigureAwait(false);
        foreach (var range in ranges) MergeDefaults(range, a.Object);
    }

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (!Supports(a) || a.Object == null) return;
        var ranges = await LimitRangesAsync(a, ct).ConfigureAwait(false);
        var errors = new List<string>();
        foreach (var range in ranges)
            errors.AddRange(a.Resource.Resource == "pods" ? ValidatePod(range, a.Object) : ValidateClaim(range, a.Object));
        if (errors.Count > 0) throw AdmissionErrors.Forbidden(a, AdmissionErrors.Aggregate(errors));
    }

    /// <summary>SupportsAttributes: pods on create, claims on create and update, no subresources, nothing being deleted.</summary>
    private static bool Supports(AdmissionAttributes a)
    {
        if (a.Subresource.Length > 0 || a.Resource.Group.Length > 0) return false;
        if (a.Operation is not (AdmissionOperation.Create or AdmissionOperation.Update)) return false;
        if (a.OldObject != null && ObjectMeta.IsDeleting(a.OldObject)) return false;
        return a.Resource.Resource switch
        {
            "pods" => a.Operation == AdmissionOperation.Create,
            "persistentvolumeclaims" => true,
            _ => false,
        };
    }

    private async Task<IReadOnlyList<JsonObject>> LimitRangesAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (a.Namespace.Length == 0) return [];
        if (caches?.Find("", "limitranges") is { } cache) return cache.List(a.Namespace);
        var def = catalog().Find("", "v1", "limitranges");
        if (def == null) return [];
        return (await store().ListAsync(def, a.Namespace, new ListOptions(), ct).ConfigureAwait(false)).Items;
    }

    private static IEnumerable<JsonObject> Limits(JsonObject range, string type) =>
        (range["spec"]?["limits"] as JsonArray ?? []).OfType<JsonObject>().Where(l => Str(l["type"]) == type);

    /// <summary>
    /// The Container defaults of one LimitRange (defaultContainerResourceRequirements), with the API's defaulting of
    /// its items applied: default ← max, defaultRequest ← default, then ← min.
    /// </summary>
    internal static (Dictionary<string, Quantity> Requests, Dictionary<string, Quantity> Limits) ContainerDefaults(JsonObject range)
    {
        var requests = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        var limits = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        foreach (var item in Limits(range, "Container"))
        {
            var def = ResourceList.Read(item["default"]);
            foreach (var (k, v) in ResourceList.Read(item["max"])) def.TryAdd(k, v);
            var req = ResourceList.Read(item["defaultRequest"]);
            foreach (var (k, v) in def) req.TryAdd(k, v);
            foreach (var (k, v) in ResourceList.Read(item["min"])) req.TryAdd(k, v);
            foreach (var (k, v) in req) requests[k] = v;
            foreach (var (k, v) in def) limits[k] = v;
        }
        return (requests, limits);
    }

    /// <summary>mergePodResourceRequirements: fills in what containers leave out and records it in the annotation.</summary>
    internal static void MergeDefaults(JsonObject range, JsonObject pod)
    {
        var (requests, limits) = ContainerDefaults(range);
        if (requests.Count == 0 && limits.Count == 0) return;
        var notes = new List<string>();
        var spec = pod["spec"] as JsonObject;
        foreach (var (field, prefix) in new[] { ("containers", "container"), ("initContainers", "init container") })
            foreach (var c in (spec?[field] as JsonArray ?? []).OfType<JsonObject>())
            {
                var resources = c["resources"] as JsonObject ?? (JsonObject)(c["resources"] = new JsonObject());
                var setLimits = Fill(resources, "limits", limits);
                var setRequests = Fill(resources, "requests", requests);
                var name = Str(c["name"]) ?? "";
                if (setRequests.Count > 0) notes.Add($"{string.Join(", ", setRequests)} request for {prefix} {name}");
                if (setLimits.Count > 0) notes.Add($"{string.Join(", ", setLimits)} limit for {prefix} {name}");
            }
        if (notes.Count == 0) return;
        var meta = ObjectMeta.Of(pod);
        var annotations = meta["annotations"] as JsonObject ?? (JsonObject)(meta["annotations"] = new JsonObject());
        annotations[Annotation] = "LimitRanger plugin set: " + string.Join("; ", notes);
    }

    private static List<string> Fill(JsonObject resources, string field, Dictionary<string, Quantity> defaults)
    {
        var set = new List<string>();
        if (defaults.Count == 0) return set;
        var list = resources[field] as JsonObject ?? (JsonObject)(resources[field] = new JsonObject());
        foreach (var (k, v) in defaults.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (list.ContainsKey(k)) continue;
            list[k] = v.ToString();
            set.Add(k);
        }
        if (list.Count == 0) resources.Remove(field);
        return set;
    }

    /// <summary>PodValidateLimitFunc: Container limits per container (init containers included), Pod limits on the pod's totals.</summary>
    internal static IEnumerable<string> ValidatePod(JsonObject range, JsonObject pod)
    {
        var spec = pod["spec"] as JsonObject;
        foreach (var item in (range["spec"]?["limits"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var type = Str(item["type"]);
            if (type == "Container")
            {
                foreach (var c in new[] { "containers", "initContainers" }.SelectMany(f => (spec?[f] as JsonArray ?? []).OfType<JsonObject>()))
                    foreach (var e in Check(type, item, ResourceList.Read(c["resources"]?["requests"]), ResourceList.Read(c["resources"]?["limits"])))
                        yield return e;
            }
            else if (type == "Pod")
            {
                var (requests, limits) = PodTotals(spec);
                foreach (var e in Check(type, item, requests, limits)) yield return e;
            }
        }
    }

    private static IEnumerable<string> Check(string type, JsonObject item, Dictionary<string, Quantity> requests, Dictionary<string, Quantity> limits)
    {
        foreach (var (k, v) in Sorted(item["min"]))
            if (MinConstraint(type, k, v, requests, limits) is { } e) yield return e;
        foreach (var (k, v) in Sorted(item["max"]))
            if (MaxConstraint(type, k, v, requests, limits) is { } e) yield return e;
        foreach (var (k, v) in Sorted(item["maxLimitRequestRatio"]))
            if (RatioConstraint(type, k, v, requests, limits) is { } e) yield return e;
    }

    /// <summary>PersistentVolumeClaimValidateLimitFunc: min and max against the claim's requests.</summary>
    internal static IEnumerable<string> ValidateClaim(JsonObject range, JsonObject claim)
    {
        var requests = ResourceList.Read(claim["spec"]?["resources"]?["requests"]);
        foreach (var item in Limits(range, "PersistentVolumeClaim"))
        {
            foreach (var (k, v) in Sorted(item["min"]))
                if (MinConstraint("PersistentVolumeClaim", k, v, requests, []) is { } e) yield return e;
            foreach (var (k, v) in Sorted(item["max"]))
                if (MaxRequestConstraint("PersistentVolumeClaim", k, v, requests) is { } e) yield return e;
        }
    }

    // Go ranges over maps in random order; sorted names give one stable order.
    private static IEnumerable<KeyValuePair<string, Quantity>> Sorted(JsonNode? list) => ResourceList.Read(list).OrderBy(p => p.Key, StringComparer.Ordinal);

    /// <summary>podRequests/podLimits of the limitranger: sum over containers, at least each init container.</summary>
    private static (Dictionary<string, Quantity>, Dictionary<string, Quantity>) PodTotals(JsonObject? spec)
    {
        return (Total("requests"), Total("limits"));

        Dictionary<string, Quantity> Total(string field)
        {
            var sum = new Dictionary<string, Quantity>(StringComparer.Ordinal);
            foreach (var c in (spec?["containers"] as JsonArray ?? []).OfType<JsonObject>())
                sum = ResourceList.Add(sum, ResourceList.Read(c["resources"]?[field]));
            foreach (var c in (spec?["initContainers"] as JsonArray ?? []).OfType<JsonObject>())
                foreach (var (k, v) in ResourceList.Read(c["resources"]?[field]))
                    if (!sum.TryGetValue(k, out var s) || v > s) sum[k] = v;
            return sum;
        }
    }

    /// <summary>requestLimitEnforcedValues: milli-units when nothing overflows, else whole units.</summary>
    private static (long Request, long Limit, long Enforced) Values(Quantity request, Quantity limit, Quantity enforced)
    {
        long r = request.Value, l = limit.Value, e = enforced.Value;
        if (r <= MaxMilliValue && l <= MaxMilliValue && e <= MaxMilliValue)
            return (request.MilliValue, limit.MilliValue, enforced.MilliValue);
        return (r, l, e);
    }

    internal static string? MinConstraint(string type, string resource, Quantity enforced, Dictionary<string, Quantity> requests, Dictionary<string, Quantity> limits)
    {
        var hasReq = requests.TryGetValue(resource, out var req);
        var hasLim = limits.TryGetValue(resource, out var lim);
        var (r, l, e) = Values(req, lim, enforced);
        if (!hasReq) return $"minimum {resource} usage per {type} is {enforced}.  No request is specified";
        if (r < e) return $"minimum {resource} usage per {type} is {enforced}, but request is {req}";
        if (hasLim && l < e) return $"minimum {resource} usage per {type} is {enforced}, but limit is {lim}";
        return null;
    }

    internal static string? MaxConstraint(string type, string resource, Quantity enforced, Dictionary<string, Quantity> requests, Dictionary<string, Quantity> limits)
    {
        var hasReq = requests.TryGetValue(resource, out var req);
        var hasLim = limits.TryGetValue(resource, out var lim);
        var (r, l, e) = Values(req, lim, enforced);
        if (!hasLim) return $"maximum {resource} usage per {type} is {enforced}.  No limit is specified";
        if (l > e) return $"maximum {resource} usage per {type} is {enforced}, but limit is {lim}";
        if (hasReq && r > e) return $"maximum {resource} usage per {type} is {enforced}, but request is {req}";
        return null;
    }

    private static string? MaxRequestConstraint(string type, string resource, Quantity enforced, Dictionary<string, Quantity> requests)
    {
        var hasReq = requests.TryGetValue(resource, out var req);
        var (r, _, e) = Values(req, Quantity.Zero, enforced);
        if (!hasReq) return $"maximum {resource} usage per {type} is {enforced}.  No request is specified";
        if (r > e) return $"maximum {resource} usage per {type} is {enforced}, but request is {req}";
        return null;
    }

    internal static string? RatioConstraint(string type, string resource, Quantity enforced, Dictionary<string, Quantity> requests, Dictionary<string, Quantity> limits)
    {
        var hasReq = requests.TryGetValue(resource, out var req);
        var hasLim = limits.TryGetValue(resource, out var lim);
        var (r, l, _) = Values(req, lim, enforced);
        if (!hasReq || r == 0) return $"{resource} max limit to request ratio per {type} is {enforced}, but no request is specified or request is 0";
        if (!hasLim || l == 0) return $"{resource} max limit to request ratio per {type} is {enforced}, but no limit is specified or limit is 0";
        var observed = (double)l / r;
        var display = observed;
        double max = enforced.Value;
        if (enforced.Value <= MaxMilliValue)
        {
            observed *= 1000;
            max = enforced.MilliValue;
        }
        return observed > max
            ? $"{resource} max limit to request ratio per {type} is {enforced}, but provided ratio is {display.ToString("F6", CultureInfo.InvariantCulture)}"
            : null;
    }
}
