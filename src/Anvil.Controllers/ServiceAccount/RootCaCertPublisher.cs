using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.ServiceAccount;

/// <summary>
/// The root CA publisher (pkg/controller/certificates/rootcacertpublisher): every active namespace has a ConfigMap
/// <c>kube-root-ca.crt</c> whose <c>ca.crt</c> is the cluster CA the API server's certificate chains to, put back as
/// it was when someone changes it. Writes as <c>system:serviceaccount:kube-system:root-ca-cert-publisher</c>.
/// </summary>
public sealed class RootCaCertPublisher : Controller
{
    public const string ConfigMapName = "kube-root-ca.crt";
    public const string DataKey = "ca.crt";
    public const string DescriptionAnnotation = "kubernetes.io/description";
    public const string Description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

    private readonly KubeClient _client;
    private readonly string _caPem;
    private readonly Informer _namespaces;
    private readonly Informer _configMaps;

    public override string Name => "root-ca-cert-publisher";

    public RootCaCertPublisher(KubeClient informerClient, KubeClient client, string caPem, ILogger log, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(informerClient, log);
        _client = client;
        _caPem = caPem;
        _namespaces = informers.For(ResourceRef.Namespaces);
        _configMaps = informers.For(ServiceAccountResources.ConfigMaps, "",
            "fieldSelector=" + Uri.EscapeDataString("metadata.name=" + ConfigMapName));
        _namespaces.Added += n => Queue.Add(ObjectMeta.Name(n));
        _namespaces.Updated += (_, n) => Queue.Add(ObjectMeta.Name(n));
        _configMaps.Updated += (_, c) => Queue.Add(ObjectMeta.Namespace(c));
        _configMaps.Deleted += c => Queue.Add(ObjectMeta.Namespace(c));
    }

    protected override IEnumerable<Informer> Informers => [_namespaces, _configMaps];

    protected override async Task ReconcileAsync(string ns, CancellationToken ct)
    {
        if (_namespaces.Get(ns) is not { } namespaceObj || ServiceAccountResources.IsTerminating(namespaceObj)) return;
        var current = _configMaps.Get(ns + "/" + ConfigMapName);
        if (current == null)
        {
            var cm = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject
                {
                    ["name"] = ConfigMapName,
                    ["annotations"] = new JsonObject { [DescriptionAnnotation] = Description },
                },
                ["data"] = new JsonObject { [DataKey] = _caPem },
            };
            try { await _client.CreateAsync(ServiceAccountResources.ConfigMaps, ns, cm, ct).ConfigureAwait(false); }
            catch (ApiException e) when (e.IsAlreadyExists || e.Code == 403 && e.Message.Contains("is being terminated", StringComparison.Ordinal)) { }
            return;
        }
        var data = current["data"] as JsonObject;
        var description = (string?)ObjectMeta.Annotations(current)?[DescriptionAnnotation];
        if (data is { Count: 1 } && (string?)data[DataKey] == _caPem && description == Description) return;
        // Only our key stays, and the description is ours.
        var updated = (JsonObject)current.DeepClone();
        updated["data"] = new JsonObject { [DataKey] = _caPem };
        updated.Remove("binaryData");
        var meta = ObjectMeta.Of(updated);
        if (meta["annotations"] is not JsonObject annotations) meta["annotations"] = annotations = new JsonObject();
        annotations[DescriptionAnnotation] = Description;
        try { await _client.UpdateAsync(ServiceAccountResources.ConfigMaps, ns, ConfigMapName, updated, ct: ct).ConfigureAwait(false); }
        catch (ApiException e) when (e.IsNotFound) { Queue.Add(ns); }
    }
}
