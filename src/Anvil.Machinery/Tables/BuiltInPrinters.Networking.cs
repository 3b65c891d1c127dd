using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

internal static partial class BuiltInPrinters
{
    private static readonly ITablePrinter Ingress = Printer(
        [NameColumn, Col("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
         Col("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
         Col("Address", "string", "Address is a list containing ingress points for the load-balancer"),
         Col("Ports", "string", "Ports of TLS configurations that open"), AgeColumn],
        (o, now) =>
        [
            Name(o),
            Json.Has(o, "spec", "ingressClassName") ? Json.Str(o, "spec", "ingressClassName") : "<none>",
            FormatHosts(Json.Objects(o, "spec", "rules").ToList()),
            LoadBalancerIngress(Json.At(o, "status", "loadBalancer")),
            Json.Count(o, "spec", "tls") != 0 ? "80, 443" : "80",
            TableFormat.Age(o, now),
        ]);

    // formatHosts: up to three hosts, "*" when no rule names one.
    private static string FormatHosts(List<JsonObject> rules)
    {
        const int max = 3;
        var list = new List<string>();
        var more = false;
        foreach (var rule in rules)
        {
            if (list.Count == max) more = true;
            if (!more && Json.Str(rule, "host") is { Length: > 0 } host) list.Add(host);
        }
        if (list.Count == 0) return "*";
        var ret = string.Join(",", list);
        return more ? $"{ret} + {rules.Count - max} more..." : ret;
    }

    private static readonly ITablePrinter EndpointSlice = Printer(
        [NameColumn,
         Col("AddressType", "string", "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name."),
         Col("Ports", "string", "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates \"all ports\". Each slice may include a maximum of 100 ports."),
         Col("Endpoints", "string", "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints."),
         AgeColumn],
        (o, now) =>
        [
            Name(o),
            Json.Str(o, "addressType"),
            // formatDiscoveryPorts: the number, else the name, else "*".
            ListWithMore(Json.Objects(o, "ports").Select(p => Json.Has(p, "port") ? Json.Int(p, "port").ToString(System.Globalization.CultureInfo.InvariantCulture) : Json.Has(p, "name") ? Json.Str(p, "name") : "*").ToList()),
            ListWithMore(Json.Objects(o, "endpoints").SelectMany(e => (Json.At(e, "addresses") as JsonArray ?? []).Select(a => (string?)a ?? "")).ToList()),
            TableFormat.Age(o, now),
        ]);

    // listWithMoreString: up to three, then "+ N more..."; "<unset>" when empty.
    private static string ListWithMore(List<string> all)
    {
        const int max = 3;
        var ret = string.Join(",", all.Take(max));
        if (all.Count > max) return $"{ret} + {all.Count - max} more...";
        return ret.Length == 0 ? "<unset>" : ret;
    }

    private static readonly ITablePrinter NetworkPolicy = Printer(
        [NameColumn, Col("Pod-Selector", "string", "Selects the pods to which this NetworkPolicy object applies."), AgeColumn],
        (o, now) =>
        [
            Name(o),
            // podSelector is not a pointer upstream: a missing one is the empty selector.
            TableFormat.FormatLabelSelector(Json.Obj(o, "spec", "podSelector") ?? new JsonObject()),
            TableFormat.Age(o, now),
        ]);
}
