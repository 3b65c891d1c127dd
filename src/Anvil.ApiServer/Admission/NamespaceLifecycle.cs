using Anvil.ApiServer.Caching;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Admission;

/// <summary>
/// Refuses new objects in namespaces that do not exist or are being deleted, and the deletion of the
/// namespaces every cluster needs (plugin/pkg/admission/namespace/lifecycle). Namespaces come from the server's
/// cache when it has one; one the cache does not know is looked up in the store, as upstream's live lookup.
/// </summary>
public sealed class NamespaceLifecycle(Func<ResourceStore> store, Func<ResourceDefinition> namespaces, ObjectCaches? caches = null) : IAdmissionPlugin
{
    private static readonly HashSet<string> Immortal = ["default", "kube-system", "kube-public"];

    public string Name => "NamespaceLifecycle";

    public async ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (a.Resource.Resource == "namespaces" && a.Resource.Group.Length == 0)
        {
            if (a.Operation == AdmissionOperation.Delete && Immortal.Contains(a.Name))
                throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, $"this namespace may not be deleted");
            return;
        }
        if (a.Operation != AdmissionOperation.Create || !a.Resource.Namespaced || a.Namespace.Length == 0) return;
        var ns = caches?.Find("", "namespaces")?.Get("", a.Namespace)
            ?? (await store().TryGetAsync(namespaces(), "", a.Namespace, ct).ConfigureAwait(false))?.Object;
        if (ns == null)
            throw StatusError.NotFound(new GroupResource("", "namespaces"), a.Namespace);
        if (ObjectMeta.IsDeleting(ns))
            throw new StatusError(403, "Forbidden", $"{a.Resource.GroupResource} \"{a.Name}\" is forbidden: unable to create new content in namespace {a.Namespace} because it is being terminated")
            {
                DetailsName = a.Name, DetailsGroup = a.Resource.Group, DetailsKind = a.Resource.Resource,
                Causes = [new Anvil.Machinery.Errors.StatusCause("NamespaceTerminating", $"namespace {a.Namespace} is being terminated", "metadata.namespace")],
            };
    }
}
