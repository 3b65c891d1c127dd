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
