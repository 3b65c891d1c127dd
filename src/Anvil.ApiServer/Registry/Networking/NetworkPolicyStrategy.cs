using System.Net;
using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Networking;

/// <summary>networking.k8s.io/v1 NetworkPolicy: defaults policyTypes and port protocols; validates selectors, peers and ports.</summary>
public sealed class NetworkPolicyStrategy : BuiltinStrategy
{
    public static readonly NetworkPolicyStrategy Instance = new();

    public override bool UsesGeneration => true;

    public override void Default(JsonObject obj)
    {
        var spec = Object(obj, "spec");
        Object(spec, "podSelector");
        foreach (var (list, _) in new[] { ("ingress", "from"), ("egress", "to") })
            foreach (var rule in Items(spec, list))
                foreach (var port in Items(rule, "ports"))
                    String(port, "protocol", "TCP");
        if (Arr(spec["policyTypes"]) is not { Count: > 0 })
        {
            var types = new JsonArray("Ingress");
            if (Items(spec, "egress").Any()) types.Add("Egress");
            spec["policyTypes"] = types;
        }
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec") ?? new JsonObject();
        foreach (var e in LabelValidation.ValidateLabelSelector(spec["podSelector"], "spec.podSelector")) yield return e;
        foreach (var (list, peers) in new[] { ("ingress", "from"), ("egress", "to") })
        {
            var i = 0;
            foreach (var rule in Items(spec, list))
            {
                var rp = $"spec.{list}[{i++}]";
                var j = 0;
                foreach (var port in Items(rule, "ports"))
                    foreach (var e in ValidatePort(port, $"{rp}.ports[{j++}]")) yield return e;
                j = 0;
                foreach (var peer in Items(rule, peers))
                    foreach (var e in ValidatePeer(peer, $"{rp}.{peers}[{j++}]")) yield return e;
            }
        }
        var policyTypes = Arr(spec["policyTypes"]) ?? [];
        if (policyTypes.Count > 2)
        {
            yield return FieldError.Invalid("spec.policyTypes", new GoValue("&[]networking.PolicyType{" + string.Join(", ", policyTypes.Select(t => GoQuote.Quote(Str(t) ?? ""))) + "}"), "may not specify more than two policyTypes");
            yield break;
        }
        for (var i = 0; i < policyTypes.Count; i++)
            if (Str(policyTypes[i]) is not ("Ingress" or "Egress"))
                yield return FieldError.NotSupported($"spec.policyTypes[{i}]", Str(policyTypes[i]) ?? "", ["Ingress", "Egress"]);
    }

    static IEnumerable<FieldError> ValidatePort(JsonObject port, string p)
    {
        if (Str(port["protocol"]) is { } proto && proto is not ("TCP" or "UDP" or "SCTP"))
            yield return FieldError.NotSupported(p + ".protocol", proto, ["TCP", "UDP", "SCTP"]);
        var endPort = Int(port["endPort"]);
        if (IsUnset(port["port"]))
        {
            if (endPort is { } ep) yield return FieldError.Invalid(p + ".endPort", ep, "may not be specified when `port` is not specified");
        }
        else if (Int(port["port"]) is { } n)
        {
            foreach (var m in NameValidation.IsValidPortNum(n)) yield return FieldError.Invalid(p + ".port", n, m);
            if (endPort is { } ep)
            {
                if (ep < n) yield return FieldError.Invalid(p + ".endPort", n, "must be greater than or equal to `port`");
                foreach (var m in NameValidation.IsValidPortNum(ep)) yield return FieldError.Invalid(p + ".endPort", ep, m);
            }
        }
        else
        {
            if (endPort is { } ep) yield return FieldError.Invalid(p + ".endPort", ep, "may not be specified when `port` is non-numeric");
            var name = Str(port["port"]) ?? "";
            foreach (var m in NameValidation.IsValidPortName(name)) yield return FieldError.Invalid(p + ".port", name, m);
        }
    }

    static IEnumerable<FieldError> ValidatePeer(JsonObject peer, string p)
    {
        var count = 0;
        foreach (var key in (string[])["podSelector", "namespaceSelector"])
        {
            if (IsUnset(peer[key])) continue;
            count++;
            foreach (var e in LabelValidation.ValidateLabelSelector(peer[key], $"{p}.{key}")) yield return e;
        }
        if (Child(peer, "ipBlock") is { } block)
        {
            count++;
            var cidr = Str(block["cidr"]) ?? "";
            if (cidr.Length == 0) yield return FieldError.Required(p + ".ipBlock.cidr");
            else if (!IPNetwork.TryParse(cidr, out var net))
                yield return FieldError.Invalid(p + ".ipBlock.cidr", cidr, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
            else
            {
                var i = 0;
                foreach (var ex in Arr(block["except"]) ?? [])
                {
                    var s = Str(ex) ?? "";
                    var ep = $"{p}.ipBlock.except[{i++}]";
                    if (!IPNetwork.TryParse(s, out var exNet))
                        yield return FieldError.Invalid(ep, s, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
                    else if (exNet.PrefixLength <= net.PrefixLength || !net.Contains(exNet.BaseAddress))
                        yield return FieldError.Invalid(ep, s, "must be a strict subset of `cidr`");
                }
            }
        }
        if (count == 0) yield return FieldError.Required(p, "must specify a peer");
        else if (count > 1 && !IsUnset(peer["ipBlock"])) yield return FieldError.Forbidden(p, "may not specify both ipBlock and another peer");
    }
}
