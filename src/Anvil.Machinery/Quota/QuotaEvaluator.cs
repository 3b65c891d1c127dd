using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Quantities;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Machinery.Quota;

/// <summary>
/// What an object counts against a ResourceQuota (pkg/quota/v1/evaluator/core and generic's object count):
/// pods (compute requests and limits), services (node ports, load balancers), persistent volume claims
/// (storage), and <c>count/&lt;resource&gt;.&lt;group&gt;</c> for everything. Shared by quota admission and the
/// quota controller so both count alike.
/// </summary>
public static class QuotaEvaluator
{
    static readonly string[] ComputeResources = ["cpu", "memory", "ephemeral-storage"];
    static readonly string[] PodConstrained = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "cpu", "memory"];
    const string StorageClassSuffix = ".storageclass.storage.k8s.io/";

    /// <summary>Resources whose plain name is also a quota resource name (the pre-<c>count/</c> form).</summary>
    static readonly HashSet<string> LegacyCounted = ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "replicationcontrollers", "resourcequotas"];

    /// <summary><c>count/pods</c>, <c>count/deployments.apps</c> (ObjectCountQuotaResourceNameFor).</summary>
    public static string CountName(string group, string resource) => group.Length == 0 ? $"count/{resource}" : $"count/{resource}.{group}";

    /// <summary>Whether changes of this kind are charged on <paramref name="operation"/> ("CREATE" or "UPDATE").</summary>
    public static bool Handles(string group, string resource, string operation) => (group, resource) switch
    {
        ("", "services") or ("", "persistentvolumeclaims") => operation is "CREATE" or "UPDATE",
        _ => operation == "CREATE",
    };

    /// <summary>Whether the usage of this kind can contain <paramref name="name"/> (MatchingResources).</summary>
    public static bool Tracks(string group, string resource, string name)
    {
        if (name == CountName(group, resource)) return true;
        if (group.Length == 0 && name == resource && LegacyCounted.Contains(resource)) return true;
        if (group.Length != 0) return false;
        return resource switch
        {
            "pods" => ComputeResources.Contains(name) || name.StartsWith("requests.", StringComparison.Ordinal) && name != "requests.storage"
                      || name.StartsWith("limits.", StringComparison.Ordinal),
            "services" => name is "services.nodeports" or "services.loadbalancers",
            "persistentvolumeclaims" => name == "requests.storage" || name.Contains(StorageClassSuffix, StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>The kinds (group, resource) whose objects make up the usage named <paramref name="name"/>.</summary>
    public static (string Group, string Resource)? SourceOf(string name)
    {
        if (name.StartsWith("count/", StringComparison.Ordinal))
        {
            var rest = name["count/".Length..];
            var dot = rest.IndexOf('.');
            return dot < 0 ? ("", rest) : (rest[(dot + 1)..], rest[..dot]);
        }
        if (LegacyCounted.Contains(name)) return ("", name);
        if (name is "services.nodeports" or "services.loadbalancers") return ("", "services");
        if (name == "requests.storage" || name.Contains(StorageClassSuffix, StringComparison.Ordinal)) return ("", "persistentvolumeclaims");
        if (Tracks("", "pods", name)) return ("", "pods");
        return null;
    }

    /// <summary>The usage one object adds (Usage). <paramref name="now"/> decides whether a deleted pod still counts.</summary>
    public static Dictionary<string, Quantity> Usage(string group, string resource, JsonObject obj, DateTimeOffset now)
    {
        var usage = new Dictionary<string, Quantity>(StringComparer.Ordinal) { [CountName(group, resource)] = One };
        if (group.Length != 0) return usage;
        switch (resource)
        {
            case "pods":
                if (!CountsComputeResources(obj, now)) return usage;
                usage["pods"] = One;
                var (requests, limits) = PodRequestsAndLimits(obj["spec"] as JsonObject);
                foreach (var (k, v) in requests)
                {
                    if (ComputeResources.Contains(k)) usage[k] = v;
                    usage["requests." + k] = v;
                }
                foreach (var (k, v) in limits) usage["limits." + k] = v;
                break;
            case "services":
                usage["services"] = One;
                var type = Str(obj["spec"]?["type"]) ?? "ClusterIP";
                var ports = (obj["spec"]?["ports"] as JsonArray)?.Count ?? 0;
                usage["services.nodeports"] = type is "NodePort" or "LoadBalancer" ? Quantity.FromValue(ports) : Quantity.Zero;
                usage["services.loadbalancers"] = type == "LoadBalancer" ? One : Quantity.Zero;
                break;
            case "persistentvolumeclaims":
                usage["persistentvolumeclaims"] = One;
                var storageClass = Str(obj["spec"]?["storageClassName"])
                    ?? Str(obj["metadata"]?["annotations"]?["volume.beta.kubernetes.io/storage-class"]) ?? "";
                if (storageClass.Length > 0) usage[storageClass + StorageClassSuffix + "persistentvolumeclaims"] = One;
                if (Quantity.TryParse(QuantityText(obj["spec"]?["resources"]?["requests"]?["storage"]), out var storage))
                {
                    usage["requests.storage"] = storage;
                    if (storageClass.Length > 0) usage[storageClass + StorageClassSuffix + "requests.storage"] = storage;
                }
                break;
            default:
                if (LegacyCounted.Contains(resource)) usage[resource] = One;
                break;
        }
        return usage;
    }

    static Quantity One => Quantity.FromValue(1);

    static string? QuantityText(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : n?.ToJsonString();

    /// <summary>
    /// QuotaV1Pod: terminal pods, and pods whose deletion grace period has run out, hold no compute resources
    /// (they still count for <c>count/pods</c>).
    /// </summary>
    public static bool CountsComputeResources(JsonObject pod, DateTimeOffset now)
    {
        if (Str(pod["status"]?["phase"]) is "Succeeded" or "Failed") return false;
        if (ObjectMeta.ParseTime(pod["metadata"]?["deletionTimestamp"]) is { } deleted
            && Int(pod["metadata"]?["deletionGracePeriodSeconds"]) is { } grace
            && now > deleted.AddSeconds(grace))
            return false;
        return true;
    }

    /// <summary>
    /// The pod's effective requests and limits (resourcehelper.PodRequests/PodLimits): the sum over app containers and
    /// sidecars, at least the largest init container, plus the overhead.
    /// </summary>
    public static (Dictionary<string, Quantity> Requests, Dictionary<string, Quantity> Limits) PodRequestsAndLimits(JsonObject? spec)
    {
        return (Effective("requests"), Effective("limits"));

        Dictionary<string, Quantity> Effective(string field)
        {
            var sum = new Dictionary<string, Quantity>(StringComparer.Ordinal);
            foreach (var c in Containers(spec, "containers")) sum = ResourceList.Add(sum, ResourceList.Read(c["resources"]?[field]));
            var sidecars = new Dictionary<string, Quantity>(StringComparer.Ordinal);
            var initMax = new Dictionary<string, Quantity>(StringComparer.Ordinal);
            foreach (var c in Containers(spec, "initContainers"))
            {
                var own = ResourceList.Read(c["resources"]?[field]);
                if (Str(c["restartPolicy"]) == "Always")
                {
                    sum = ResourceList.Add(sum, own);
                    sidecars = ResourceList.Add(sidecars, own);
                    continue;
                }
                // A regular init container runs alongside the sidecars started before it.
                foreach (var (k, v) in ResourceList.Add(own, ResourceList.Mask(sidecars, own.Keys)))
                    if (!initMax.TryGetValue(k, out var m) || v > m) initMax[k] = v;
            }
            foreach (var (k, v) in initMax)
                if (!sum.TryGetValue(k, out var s) || v > s) sum[k] = v;
            var overhead = ResourceList.Read(spec?["overhead"]);
            if (overhead.Count > 0) sum = ResourceList.Add(sum, field == "limits" ? ResourceList.Mask(overhead, sum.Keys) : overhead);
            return sum;
        }
    }

    static IEnumerable<JsonObject> Containers(JsonObject? spec, string field) => (spec?[field] as JsonArray)?.OfType<JsonObject>() ?? [];

    /// <summary>
    /// The podEvaluator's Constraints: when a quota limits cpu or memory, every container must state it. Returns
    /// upstream's error text (<c>must specify limits.cpu for: a,b; requests.memory for: a</c>) or null.
    /// </summary>
    public static string? Constraints(string group, string resource, IEnumerable<string> required, JsonObject obj)
    {
        if (group.Length != 0 || resource != "pods") return null;
        var requiredSet = required.Where(PodConstrained.Contains).ToHashSet(StringComparer.Ordinal);
        if (requiredSet.Count == 0) return null;
        var missing = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var spec = obj["spec"] as JsonObject;
        foreach (var c in Containers(spec, "containers").Concat(Containers(spec, "initContainers")))
        {
            var has = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (k, _) in ResourceList.Read(c["resources"]?["requests"]))
                if (k is "cpu" or "memory") { has.Add(k); has.Add("requests." + k); }
            foreach (var (k, _) in ResourceList.Read(c["resources"]?["limits"]))
                if (k is "cpu" or "memory") has.Add("limits." + k);
            foreach (var r in requiredSet.Where(r => !has.Contains(r)))
            {
                if (!missing.TryGetValue(r, out var names)) missing[r] = names = new SortedSet<string>(StringComparer.Ordinal);
                names.Add(Str(c["name"]) ?? "");
            }
        }
        if (missing.Count == 0) return null;
        return "must specify " + string.Join("; ", missing.Select(p => $"{p.Key} for: {string.Join(",", p.Value)}"));
    }

    /// <summary>
    /// Whether the quota's scopes (spec.scopes and spec.scopeSelector) select the object. Scopes only select pods;
    /// a quota without scopes selects everything.
    /// </summary>
    public static bool MatchesScopes(JsonObject quota, string group, string resource, JsonObject obj)
    {
        var selectors = new List<(string Scope, string Operator, string[] Values)>();
        foreach (var s in (quota["spec"]?["scopes"] as JsonArray ?? []).Select(Str).OfType<string>()) selectors.Add((s, "Exists", []));
        foreach (var e in (quota["spec"]?["scopeSelector"]?["matchExpressions"] as JsonArray ?? []).OfType<JsonObject>())
            selectors.Add((Str(e["scopeName"]) ?? "", Str(e["operator"]) ?? "", (e["values"] as JsonArray ?? []).Select(Str).OfType<string>().ToArray()));
        if (selectors.Count == 0) return true;
        if (group.Length != 0 || resource != "pods") return false;
        var spec = obj["spec"] as JsonObject;
        foreach (var (scope, op, values) in selectors)
        {
            var matches = scope switch
            {
                "Terminating" => Int(spec?["activeDeadlineSeconds"]) is >= 0,
                "NotTerminating" => Int(spec?["activeDeadlineSeconds"]) is not >= 0,
                "BestEffort" => IsBestEffort(spec),
                "NotBestEffort" => !IsBestEffort(spec),
                "PriorityClass" => MatchesValues(Str(spec?["priorityClassName"]), op, values),
                "CrossNamespacePodAffinity" => false,
                _ => false,
            };
            if (scope == "PriorityClass") { if (!matches) return false; continue; }
            if (op == "DoesNotExist" ? matches : !matches) return false;
        }
        return true;
    }

    static bool MatchesValues(string? value, string op, string[] values) => op switch
    {
        "In" => value != null && values.Contains(value),
        "NotIn" => value == null || !values.Contains(value),
        "Exists" => value != null,
        "DoesNotExist" => value == null,
        _ => false,
    };

    /// <summary>The BestEffort QoS class: no container requests or limits cpu or memory.</summary>
    public static bool IsBestEffort(JsonObject? spec) =>
        Containers(spec, "containers").Concat(Containers(spec, "initContainers")).All(c =>
            !ResourceList.Read(c["resources"]?["requests"]).Concat(ResourceList.Read(c["resources"]?["limits"]))
                .Any(p => p.Key is "cpu" or "memory" && !p.Value.IsZero));
}
