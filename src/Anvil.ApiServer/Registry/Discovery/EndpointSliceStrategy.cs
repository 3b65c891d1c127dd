using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Discovery;

/// <summary>
/// discovery.k8s.io/v1 EndpointSlice (ValidateEndpointSlice): addressType IPv4/IPv6/FQDN and immutable,
/// addresses of that type, unique port names, ports default to TCP and an empty name. The generation moves
/// with any change outside metadata.
/// </summary>
public sealed class EndpointSliceStrategy : BuiltinStrategy
{
    public static readonly EndpointSliceStrategy Instance = new();

    static readonly string[] AddressTypes = ["FQDN", "IPv4", "IPv6"];
    static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];
    const int MaxEndpoints = 1000;
    const int MaxAddresses = 100;
    const int MaxPorts = 20000;

    public override bool UsesGeneration => true;

    protected override bool SpecChanged(JsonObject obj, JsonObject old)
    {
        static JsonObject Body(JsonObject o)
        {
            var c = (JsonObject)o.DeepClone();
            c.Remove("metadata");
            c.Remove("apiVersion");
            c.Remove("kind");
            return c;
        }
        return !JsonNode.DeepEquals(Body(obj), Body(old));
    }

    public override void Default(JsonObject obj)
    {
        foreach (var port in Items(obj, "ports"))
        {
            String(port, "name", "");
            String(port, "protocol", "TCP");
        }
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var addressType = Str(obj["addressType"]) ?? "";
        if (addressType.Length == 0) yield return FieldError.Required("addressType");
        else if (!AddressTypes.Contains(addressType)) yield return FieldError.NotSupported("addressType", addressType, AddressTypes);

        var endpoints = Items(obj, "endpoints").ToList();
        if (endpoints.Count > MaxEndpoints) yield return FieldError.TooMany("endpoints", endpoints.Count, MaxEndpoints);
        for (var i = 0; i < endpoints.Count; i++)
        {
            var path = $"endpoints[{i}]";
            var addresses = (endpoints[i]["addresses"] as JsonArray ?? []).Select(a => Str(a) ?? "").ToList();
            if (addresses.Count == 0) yield return FieldError.Required(path + ".addresses", "must contain at least 1 address");
            else if (addresses.Count > MaxAddresses) yield return FieldError.TooMany(path + ".addresses", addresses.Count, MaxAddresses);
            for (var j = 0; j < addresses.Count; j++)
                foreach (var e in ValidateAddress(addresses[j], addressType, $"{path}.addresses[{j}]")) yield return e;
            if (Str(endpoints[i]["nodeName"]) is { Length: > 0 } node)
                foreach (var m in NameValidation.IsDns1123Subdomain(node)) yield return FieldError.Invalid(path + ".nodeName", node, m);
            if (Str(endpoints[i]["hostname"]) is { Length: > 0 } hn)
                foreach (var m in NameValidation.IsDns1123Label(hn)) yield return FieldError.Invalid(path + ".hostname", hn, m);
        }

        var ports = Items(obj, "ports").ToList();
        if (ports.Count > MaxPorts) yield return FieldError.TooMany("ports", ports.Count, MaxPorts);
        var names = new HashSet<string>();
        for (var i = 0; i < ports.Count; i++)
        {
            var path = $"ports[{i}]";
            var name = Str(ports[i]["name"]) ?? "";
            if (name.Length > 0)
                foreach (var m in NameValidation.IsDns1123Label(name)) yield return FieldError.Invalid(path + ".name", name, m);
            if (!names.Add(name)) yield return FieldError.Duplicate(path + ".name", name);
            var proto = Str(ports[i]["protocol"]) ?? "";
            if (proto.Length == 0) yield return FieldError.Required(path + ".protocol");
            else if (!Protocols.Contains(proto)) yield return FieldError.NotSupported(path + ".protocol", proto, Protocols);
            if (Int(ports[i]["port"]) is { } port)
                foreach (var m in NameValidation.IsValidPortNum((int)port)) yield return FieldError.Invalid(path + ".port", port, m);
        }
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        foreach (var e in Validate(obj)) yield return e;
        var type = Str(obj["addressType"]) ?? "";
        if (type != (Str(old["addressType"]) ?? "")) yield return FieldError.Invalid("addressType", type, "field is immutable");
    }

    static IEnumerable<FieldError> ValidateAddress(string address, string addressType, string path)
    {
        switch (addressType)
        {
            case "IPv4":
            case "IPv6":
                var family = addressType == "IPv4" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
                if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != family || address.Contains('%')
                    || family == AddressFamily.InterNetwork && address.Count(c => c == '.') != 3)
                {
                    yield return FieldError.Invalid(path, address, addressType == "IPv4" ? "must be a valid IPv4 address" : "must be a valid IPv6 address");
                    yield break;
                }
                var bytes = ip.GetAddressBytes();
                if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)) yield return FieldError.Invalid(path, address, "may not be unspecified (0.0.0.0)");
                else if (IPAddress.IsLoopback(ip)) yield return FieldError.Invalid(path, address, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
                else if (bytes.Length == 4 && bytes[0] == 169 && bytes[1] == 254 || ip.IsIPv6LinkLocal)
                    yield return FieldError.Invalid(path, address, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
                else if (bytes.Length == 4 && bytes[0] == 224 && bytes[1] == 0 && bytes[2] == 0 || bytes.Length == 16 && bytes[0] == 0xff && bytes[1] == 0x02)
                    yield return FieldError.Invalid(path, address, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
                break;
            case "FQDN":
                foreach (var m in NameValidation.IsDns1123Subdomain(address.TrimEnd('.')))
                    yield return FieldError.Invalid(path, address, m);
                break;
        }
    }
}
