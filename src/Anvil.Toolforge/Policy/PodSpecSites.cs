using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Registry;

namespace Anvil.Toolforge.Policy;

/// <summary>
/// Which requests the tool policies look at, and where the pod spec is. Pods are where enforcement holds;
/// workload templates are checked too so a bad Deployment fails at once rather than in its ReplicaSet's events.
/// </summary>
internal static class PodSpecSites
{
    public const string EphemeralContainers = "ephemeralcontainers";

    /// <summary>The pod spec of an object of this resource, or null when the resource has none.</summary>
    public static PodSpecSite? Find(ResourceDefinition def, JsonObject? obj)
    {
        if (obj == null) return null;
        return (def.Group, def.Resource) switch
        {
            ("", "pods") => Site(obj, "/spec", obj["metadata"] as JsonObject, isPod: true),
            ("", "podtemplates") => Template(obj["template"], "/template"),
            ("", "replicationcontrollers") or ("apps", "deployments" or "replicasets" or "statefulsets" or "daemonsets") or ("batch", "jobs") =>
                Template(obj["spec"]?["template"], "/spec/template"),
            ("batch", "cronjobs") => Template(obj["spec"]?["jobTemplate"]?["spec"]?["template"], "/spec/jobTemplate/spec/template"),
            _ => null,
        };
    }

    /// <summary>
    /// The pod spec this request asks the policies to check: pod and workload creates, updates that change the
    /// pod spec (so metadata updates of existing objects, such as the garbage collector's, are never blocked),
    /// and ephemeral containers added through <c>pods/ephemeralcontainers</c>.
    /// </summary>
    public static PodSpecSite? Target(AdmissionAttributes a)
    {
        var isPod = a.Resource.Group.Length == 0 && a.Resource.Resource == "pods";
        var subresourceOk = a.Subresource.Length == 0 || (isPod && a.Subresource == EphemeralContainers);
        if (!subresourceOk) return null;
        var site = Find(a.Resource, a.Object);
        if (site == null) return null;
        return a.Operation switch
        {
            AdmissionOperation.Create when a.Subresource.Length == 0 => site,
            AdmissionOperation.Update when !JsonNode.DeepEquals(site.Spec, Find(a.Resource, a.OldObject)?.Spec) => site,
            _ => null,
        };
    }

    private static PodSpecSite? Template(JsonNode? template, string path) =>
        template is JsonObject t ? Site(t, path + "/spec", t["metadata"] as JsonObject, isPod: false) : null;

    private static PodSpecSite? Site(JsonObject owner, string path, JsonObject? metadata, bool isPod) =>
        owner["spec"] is JsonObject spec ? new PodSpecSite(spec, path, metadata, isPod) : null;
}
