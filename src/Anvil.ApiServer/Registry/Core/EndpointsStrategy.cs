using System.Net;
using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>core/v1 Endpoints (validateEndpointSubsets). Ports default to TCP.</summary>
public sealed class EndpointsStrategy : BuiltinStrategy
{
    public static readonly EndpointsStrategy Instance = new();

    static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];

    public override void Default(JsonObject obj)
    {
        foreach (var subset in Items(obj, "subsets"))
            foreach (var port in Items(subset, "ports"))
                String(port, "protocol", "TCP");
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var i = 0;
        foreach (var ss in Items(obj, "subsets"))
        {
            var p = $"subsets[{i++}]";
            if (!Items(ss, "addresses").Any() && !Items(ss, "notReadyAddresses").Any())
                yield return FieldError.Required(p, "must specify `addresses` or `notReadyAddresses`");
            foreach (var list in (string[])["addresses", "notReadyAddresses"])
            {
                var j = 0;
                foreach (var a in Items(ss, list))
                    foreach (var e in ValidateAddress(a, $"{p}.{list}[{j++}]")) yield return e;
            }
            var ports = Items(ss, "ports").ToList();
            for (var j = 0; j < ports.Count; j++)
            {
                var pp = $"{p}.ports[{j}]";
                var name = Str(ports[j]["name"]) ?? "";
                if (ports.Count > 1 && name.Length == 0) yield return FieldError.Required(pp + ".name");
                else if (name.Length > 0) foreach (var e in Core.PodSpecValidation.DnsLabel(name, pp + ".name")) yield return e;
                var port = Int(ports[j]["port"]) ?? 0;
                foreach (var m in NameValidation.IsValidPortNum(port)) yield return FieldError.Invalid(pp + ".port", port, m);
                var proto = Str(ports[j]["protocol"]) ?? "";
                if (proto.Length == 0) yield return FieldError.Required(pp + ".protocol");
                else if (!Protocols.Contains(proto)) yield return FieldError.NotSupported(pp + ".protocol", proto, Protocols);
            }
        }
    }

    static IEnumerable<FieldError> ValidateAddress(JsonObject a, string path)
    {
        var ip = Str(a["ip"]) ?? "";
        if (!IPAddress.TryParse(ip, out var addr) || ip.Contains('%'))
        {
            yield return FieldError.Invalid(path + ".ip", ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
            yield break;
        }
        if (Str(a["hostname"]) is { Length: > 0 } hn) foreach (var e in Core.PodSpecValidation.DnsLabel(hn, path + ".hostname")) yield return e;
        if (Str(a["nodeName"]) is { Length: > 0 } node)
            foreach (var m in NameValidation.IsDns1123Subdomain(node)) yield return FieldError.Invalid(path + ".nodeName", node, m);
        var bytes = addr.GetAddressBytes();
        if (addr.Equals(IPAddress.Any) || addr.Equals(IPAddress.IPv6Any)) yield return FieldError.Invalid(path + ".ip", ip, "may not be unspecified (0.0.0.0)");
        else if (IPAddress.IsLoopback(addr)) yield return FieldError.Invalid(path + ".ip", ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
        else if (bytes.Length == 4 && bytes[0] == 169 && bytes[1] == 254 || addr.IsIPv6LinkLocal)
            yield return FieldError.Invalid(path + ".ip", ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
        else if (bytes.Length == 4 && bytes[0] == 224 && bytes[1] == 0 && bytes[2] == 0 || bytes.Length == 16 && bytes[0] == 0xff && bytes[1] == 0x02)
            yield return FieldError.Invalid(path + ".ip", ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
    }
}
