using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.ServiceAccount;

/// <summary>
/// The service account controller (pkg/controller/serviceaccount/serviceaccounts_controller.go): every active
/// namespace has a ServiceAccount <c>default</c>, created again when deleted. Reads through the controller manager's
/// informers, writes as <c>system:serviceaccount:kube-system:service-account-controller</c>.
/// </summary>
public sealed class ServiceAccountsController : Controller
{
    public const string DefaultName = "default";

    private readonly KubeClient _client;
    private readonly Informer _namespaces;
    private readonly Informer _serviceAccounts;

    public override string Name => "serviceaccount";

    public ServiceAccountsController(KubeClient informerClient, KubeClient client, ILogger log, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(informerClient, log);
        _client = client;
        _namespaces = informers.For(ResourceRef.Namespaces);
        _serviceAccounts = informers.For(ServiceAccountResources.ServiceAccounts, "",
            "fieldSelector=" + Uri.EscapeDataString("metadata.name=" + DefaultName));
        _namespaces.Added += n => Queue.Add(ObjectMeta.Name(n));
        _namespaces.Updated += (_, n) => Queue.Add(ObjectMeta.Name(n));
        _serviceAccounts.Deleted += sa => Queue.Add(ObjectMeta.Namespace(sa));
    }

    protected override IEnumerable<Informer> Informers => [_namespaces, _serviceAccounts];

    protected override async Task ReconcileAsync(string ns, CancellationToken ct)
    {
        if (_namespaces.Get(ns) is not { } namespaceObj || ServiceAccountResources.IsTerminating(namespaceObj)) return;
        if (_serviceAccounts.Get(ns + "/" + DefaultName) != null) return;
        var sa = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = DefaultName },
        };
        try
        {
            await _client.CreateAsync(ServiceAccountResources.ServiceAccounts, ns, sa, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
        }
        catch (ApiException e) when (e.Code == 403 && (e.Status?["details"]?["causes"] as JsonArray)?.Any(c => (string?)c?["reason"] == "NamespaceTerminating") == true)
        {
            // The namespace went away meanwhile.
        }
    }
}
