using System.Net;
using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>
/// The Service <c>default/kubernetes</c> kube-apiserver keeps for itself (cluster IP: the service CIDR's first
/// address, port 443 named https to the API server's port), with its Endpoints (labelled skip-mirror, as the
/// mirroring controller must not copy them) and EndpointSlice, pointing at the address the API server serves on
/// (none when that is loopback or a wildcard: Endpoints may not hold those).
/// </summary>
public static class KubernetesService
{
    public const string ClusterIP = "10.96.0.1";

    /// <summary>(group, resource, object) to create in namespace default, Service first.</summary>
    public static IEnumerable<(string Group, string Resource, JsonObject Object)> Objects(string bind, int port)
    {
        var address = bind;
        var ipv6 = address.Contains(':');
        yield return ("", "services", new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["namespace"] = "default",
                ["labels"] = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" },
            },
            ["spec"] = new JsonObject
            {
                ["type"] = "ClusterIP",
                ["clusterIP"] = ClusterIP,
                ["clusterIPs"] = new JsonArray(ClusterIP),
                ["sessionAffinity"] = "None",
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = port }),
            },
        });
        // Endpoints may not hold a loopback or unspecified address: an API server on one has none to publish.
        if (!IPAddress.TryParse(address, out var ip) || IPAddress.IsLoopback(ip) || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)) yield break;
        yield return ("", "endpoints", new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["namespace"] = "default",
                ["labels"] = new JsonObject { ["endpointslice.kubernetes.io/skip-mirror"] = "true" },
            },
            ["subsets"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(new JsonObject { ["ip"] = address }),
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = port, ["protocol"] = "TCP" }),
            }),
        });
        yield return ("discovery.k8s.io", "endpointslices", new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["namespace"] = "default",
                ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "kubernetes" },
            },
            ["addressType"] = ipv6 ? "IPv6" : "IPv4",
            ["endpoints"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(address),
                ["conditions"] = new JsonObject { ["ready"] = true },
            }),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = port, ["protocol"] = "TCP" }),
        });
    }
}
