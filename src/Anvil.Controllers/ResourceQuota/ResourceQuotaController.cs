using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Quota;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.ResourceQuota;

/// <summary>
/// The resource quota controller (pkg/controller/resourcequota): keeps each ResourceQuota's status.hard equal to
/// spec.hard and recounts status.used from the namespace's objects when a quota is created or its spec changes,
/// when a counted object is deleted or a pod ends (so freed usage comes back), and on a periodic full resync.
/// Admission charges creates as they happen; this controller corrects the drift.
/// </summary>
public sealed class ResourceQuotaController : Controller
{
    public static readonly ResourceRef Quotas = new("", "v1", "resourcequotas", true);
    private const string ResyncKey = "\0resync";

    /// <summary>Kinds whose deletions free quota and are watched for it (replenishment).</summary>
    private static readonly ResourceRef[] Replenished =
    [
        new("", "v1", "pods", true), new("", "v1", "services", true), new("", "v1", "configmaps", true),
        new("", "v1", "secrets", true), new("", "v1", "persistentvolumeclaims", true),
    ];

    /// <summary>API versions of the groups <c>count/&lt;resource&gt;.&lt;group&gt;</c> may name.</summary>
    private static readonly Dictionary<string, string> GroupVersions = new(StringComparer.Ordinal)
    {
        [""] = "v1", ["apps"] = "v1", ["batch"] = "v1", ["networking.k8s.io"] = "v1", ["policy"] = "v1",
        ["rbac.authorization.k8s.io"] = "v1", ["coordination.k8s.io"] = "v1", ["events.k8s.io"] = "v1",
        ["autoscaling"] = "v2", ["discovery.k8s.io"] = "v1", ["storage.k8s.io"] = "v1",
    };

    private readonly KubeClient _client;
    private readonly Informer _quotas;
    private readonly List<Informer> _watched = [];
    private readonly TimeProvider _time;

    public override string Name => "resourcequota-controller";

    /// <summary>How often every quota is recounted (kube-controller-manager's --resource-quota-sync-period).</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(5);

    public ResourceQuotaController(KubeClient client, ILogger log, TimeProvider? time = null, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        _time = time ?? TimeProvider.System;
        _quotas = informers.For(Quotas);
        _quotas.Added += q => Queue.Add(Informer.KeyOf(q));
        _quotas.Updated += (old, q) =>
        {
            if (!JsonNode.DeepEquals(old["spec"], q["spec"]) || !JsonNode.DeepEquals(q["spec"]?["hard"], q["status"]?["hard"]))
                Queue.Add(Informer.KeyOf(q));
        };
        foreach (var r in Replenished)
        {
            // A deletion only triggers a recount (made with a live list), so metadata is enough, except for pods,
            // whose updates are compared by the compute resources they count.
            var informer = r.Resource == "pods" ? informers.For(r) : informers.ForMetadataOrExisting(r);
            informer.Deleted += o => EnqueueNamespace(ObjectMeta.Namespace(o));
            if (r.Resource == "pods")
                informer.Updated += (old, pod) =>
                {
                    var now = _time.GetUtcNow();
                    if (QuotaEvaluator.CountsComputeResources(old, now) != QuotaEvaluator.CountsComputeResources(pod, now))
                        EnqueueNamespace(ObjectMeta.Namespace(pod));
                };
            _watched.Add(informer);
        }
        Queue.Add(ResyncKey);
    }

    protected override IEnumerable<Informer> Informers => [_quotas, .. _watched];

    private void EnqueueNamespace(string ns)
    {
        foreach (var q in _quotas.List())
            if (ObjectMeta.Namespace(q) == ns) Queue.Add(Informer.KeyOf(q));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        if (key == ResyncKey)
        {
            foreach (var q in _quotas.List()) Queue.Add(Informer.KeyOf(q));
            Queue.AddAfter(ResyncKey, ResyncPeriod);
            return;
        }
        var cached = _quotas.Get(key);
        if (cached == null) return;
        await SyncAsync(cached, ct).ConfigureAwait(false);
    }

    /// <summary>Recounts one quota and writes its status when it changed.</summary>
    internal async Task SyncAsync(JsonObject cached, CancellationToken ct)
    {
        // Read the quota itself from the API: its resourceVersion guards the write against admission's charges.
        JsonObject quota;
        try
        {
            quota = await _client.GetAsync(Quotas, ObjectMeta.Namespace(cached), ObjectMeta.Name(cached), ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return;
        }
        var ns = ObjectMeta.Namespace(quota);
        var hard = ResourceList.Read(quota["spec"]?["hard"]);
        // Live lists rather than caches: an object admitted a moment ago must not be missed.
        var used = await QuotaUsage.CalculateAsync(quota, hard.Keys, (g, r, c) => ListAsync(g, r, ns, c), _time.GetUtcNow(), ct).ConfigureAwait(false);
        var status = new JsonObject { ["hard"] = ResourceList.ToJson(hard), ["used"] = ResourceList.ToJson(used) };
        if (JsonNode.DeepEquals(status, quota["status"])) return;
        quota["status"] = status;
        await _client.UpdateAsync(Quotas, ns, ObjectMeta.Name(quota), quota, "status", ct).ConfigureAwait(false);
        Log.LogInformation("controller={Controller} quota={Ns}/{Name} used={Used}", Name, ns, ObjectMeta.Name(quota), ResourceList.PrettyPrint(used));
    }

    private async Task<IReadOnlyList<JsonObject>?> ListAsync(string group, string resource, string ns, CancellationToken ct)
    {
        if (!GroupVersions.TryGetValue(group, out var version)) return null;
        try
        {
            var list = await _client.ListAsync(new ResourceRef(group, version, resource, true), ns, "", ct).ConfigureAwait(false);
            return (list["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return null;
        }
    }
}
