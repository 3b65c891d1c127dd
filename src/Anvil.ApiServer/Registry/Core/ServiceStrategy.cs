using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>
/// core/v1 Service (pkg/registry/core/service/strategy.go and v1 defaults). Cluster IP and node port
/// allocation belong to the REST layer: it calls <see cref="NeedsClusterIp"/> / <see cref="NodePortsToAllocate"/>
/// after <see cref="ResourceStrategy.PrepareForCreate"/> and before validation, and writes the allocated values
/// into spec.clusterIP, spec.clusterIPs and spec.ports[*].nodePort.
/// </summary>
public sealed class ServiceStrategy : BuiltinStrategy
{
    public static readonly ServiceStrategy Instance = new();

    static readonly string[] ServiceTypes = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    static readonly string[] Protocols = ["SCTP", "TCP", "UDP"];

    public override bool HasStatus => true;
    public override NameRule NameRule => NameRule.Dns1035Label;

    public override void Default(JsonObject obj)
    {
        var spec = Object(obj, "spec");
        String(spec, "sessionAffinity", "None");
        var affinity = Str(spec["sessionAffinity"]);
        if (affinity == "None") spec.Remove("sessionAffinityConfig");
        if (affinity == "ClientIP" && IsUnset(spec["sessionAffinityConfig"]?["clientIP"]?["timeoutSeconds"]))
            spec["sessionAffinityConfig"] = new JsonObject { ["clientIP"] = new JsonObject { ["timeoutSeconds"] = Number(10800) } };
        String(spec, "type", "ClusterIP");
        var type = Str(spec["type"]);
        foreach (var port in Items(spec, "ports"))
        {
            String(port, "protocol", "TCP");
            var target = port["targetPort"];
            if (IsUnset(target) || Int(target) == 0 || Str(target) == "") port["targetPort"] = port["port"]?.DeepClone() ?? Number(0);
        }
        var externallyAccessible = type is "LoadBalancer" or "NodePort" || type == "ClusterIP" && (Arr(spec["externalIPs"])?.Count ?? 0) > 0;
        if (externallyAccessible) String(spec, "externalTrafficPolicy", "Cluster");
        if (type is "NodePort" or "LoadBalancer" or "ClusterIP") String(spec, "internalTrafficPolicy", "Cluster");
        if (type == "LoadBalancer") Bool(spec, "allocateLoadBalancerNodePorts", true);
    }

    // ServiceStatus holds a non-pointer LoadBalancerStatus.
    protected override JsonObject? InitialStatus(JsonObject obj) => new() { ["loadBalancer"] = new JsonObject() };

    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        var spec = Object(obj, "spec");
        NormalizeClusterIps(spec);
        if (Str(spec["type"]) != "ExternalName")
        {
            // Single-stack IPv4 until the allocator says otherwise; headless services without a selector
            // take every cluster family (RequireDualStack), as kube-apiserver does.
            var headlessNoSelector = Str(spec["clusterIP"]) == "None" && (Child(spec, "selector")?.Count ?? 0) == 0;
            String(spec, "ipFamilyPolicy", headlessNoSelector ? "RequireDualStack" : "SingleStack");
            if (spec["ipFamilies"] is not JsonArray { Count: > 0 }) spec["ipFamilies"] = new JsonArray("IPv4");
        }
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        base.PrepareForUpdate(obj, old);
        var spec = Object(obj, "spec");
        var oldSpec = Child(old, "spec") ?? new JsonObject();
        // patchAllocatedValues: a replace without the allocated values keeps them.
        if (NeedsClusterIpType(Str(oldSpec["type"])) && NeedsClusterIpType(Str(spec["type"])))
        {
            if (IsUnsetString(spec["clusterIP"]) && (Arr(spec["clusterIPs"])?.Count ?? 0) == 0)
            {
                if (oldSpec["clusterIP"] is { } ip) spec["clusterIP"] = ip.DeepClone();
                if (oldSpec["clusterIPs"] is { } ips) spec["clusterIPs"] = ips.DeepClone();
            }
            if (IsUnset(spec["ipFamilies"]) && oldSpec["ipFamilies"] is { } fam) spec["ipFamilies"] = fam.DeepClone();
            if (IsUnset(spec["ipFamilyPolicy"]) && oldSpec["ipFamilyPolicy"] is { } pol) spec["ipFamilyPolicy"] = pol.DeepClone();
        }
        if (Str(spec["type"]) is "NodePort" or "LoadBalancer")
            foreach (var port in Items(spec, "ports"))
            {
                if ((Int(port["nodePort"]) ?? 0) != 0) continue;
                var match = Items(oldSpec, "ports").FirstOrDefault(o => Int(o["port"]) == Int(port["port"]) && Str(o["protocol"]) == Str(port["protocol"]));
                if (match?["nodePort"] is { } np) port["nodePort"] = np.DeepClone();
            }
        NormalizeClusterIps(spec);
    }

    static void NormalizeClusterIps(JsonObject spec)
    {
        var ip = Str(spec["clusterIP"]) ?? "";
        var ips = Arr(spec["clusterIPs"]);
        if (ip.Length > 0 && (ips == null || ips.Count == 0)) spec["clusterIPs"] = new JsonArray(ip);
        else if (ip.Length == 0 && ips is { Count: > 0 } && Str(ips[0]) is { } first) spec["clusterIP"] = first;
    }

    static bool NeedsClusterIpType(string? type) => type != "ExternalName";

    /// <summary>Whether the REST layer must allocate a cluster IP for this service (not ExternalName, not headless, none given).</summary>
    public static bool NeedsClusterIp(JsonObject service)
    {
        var spec = Child(service, "spec");
        return NeedsClusterIpType(Str(spec?["type"])) && string.IsNullOrEmpty(Str(spec?["clusterIP"]));
    }

    /// <summary>The indexes of spec.ports that need a node port allocated (NodePort/LoadBalancer types, nodePort 0).</summary>
    public static IReadOnlyList<int> NodePortsToAllocate(JsonObject service)
    {
        var spec = Child(service, "spec");
        var type = Str(spec?["type"]);
        var result = new List<int>();
        if (type == "NodePort" || type == "LoadBalancer" && Bool(spec?["allocateLoadBalancerNodePorts"]) != false)
        {
            var i = 0;
            foreach (var p in Items(spec, "ports"))
            {
                if ((Int(p["nodePort"]) ?? 0) == 0) result.Add(i);
                i++;
            }
        }
        return result;
    }

    static bool IsHeadless(JsonObject spec) => Arr(spec["clusterIPs"]) is { Count: > 0 } ips && Str(ips[0]) == "None" || Str(spec["clusterIP"]) == "None";

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec") ?? new JsonObject();
        var type = Str(spec["type"]) ?? "";
        var ports = Items(spec, "ports").ToList();
        var headless = IsHeadless(spec);
        if (ports.Count == 0 && !headless && type != "ExternalName") yield return FieldError.Required("spec.ports");
        switch (type)
        {
            case "LoadBalancer" when headless:
                yield return FieldError.Invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for LoadBalancer services");
                break;
            case "NodePort" when headless:
                yield return FieldError.Invalid("spec.clusterIPs[0]", "None", "may not be set to 'None' for NodePort services");
                break;
            case "ExternalName":
                if ((Arr(spec["clusterIPs"])?.Count ?? 0) > 0) yield return FieldError.Forbidden("spec.clusterIPs", "may not be set for ExternalName services");
                if ((Arr(spec["ipFamilies"])?.Count ?? 0) > 0) yield return FieldError.Forbidden("spec.ipFamilies", "may not be set for ExternalName services");
                if (!IsUnset(spec["ipFamilyPolicy"])) yield return FieldError.Forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services");
                var cname = (Str(spec["externalName"]) ?? "").TrimEnd('.');
                if ((Str(spec["externalName"]) ?? "").EndsWith('.')) cname = Str(spec["externalName"])![..^1];
                if (cname.Length > 0)
                    foreach (var m in NameValidation.IsDns1123Subdomain(cname)) yield return FieldError.Invalid("spec.externalName", cname, m);
                else yield return FieldError.Required("spec.externalName");
                break;
        }
        var names = new HashSet<string>();
        for (var i = 0; i < ports.Count; i++)
        {
            var p = ports[i];
            var path = $"spec.ports[{i}]";
            var name = Str(p["name"]) ?? "";
            if (ports.Count > 1 && name.Length == 0) yield return FieldError.Required(path + ".name");
            else if (name.Length > 0)
            {
                foreach (var e in PodSpecValidation.DnsLabel(name, path + ".name")) yield return e;
                if (!names.Add(name)) yield return FieldError.Duplicate(path + ".name", name);
            }
            var port = Int(p["port"]) ?? 0;
            foreach (var m in NameValidation.IsValidPortNum(port)) yield return FieldError.Invalid(path + ".port", port, m);
            var proto = Str(p["protocol"]) ?? "";
            if (proto.Length == 0) yield return FieldError.Required(path + ".protocol");
            else if (!Protocols.Contains(proto)) yield return FieldError.NotSupported(path + ".protocol", proto, Protocols);
            foreach (var e in PodSpecValidation.ValidatePortNumOrName(p["targetPort"], path + ".targetPort")) yield return e;
        }
        foreach (var e in LabelValidation.ValidateLabels(spec["selector"], "spec.selector")) yield return e;
        var affinity = Str(spec["sessionAffinity"]) ?? "";
        if (affinity.Length == 0) yield return FieldError.Required("spec.sessionAffinity");
        else if (affinity is not ("ClientIP" or "None")) yield return FieldError.NotSupported("spec.sessionAffinity", affinity, ["ClientIP", "None"]);
        if (affinity == "ClientIP" && Int(spec["sessionAffinityConfig"]?["clientIP"]?["timeoutSeconds"]) is { } t && (t <= 0 || t > 86400))
            yield return FieldError.Invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t, "must be greater than 0 and less than 86400");
        if (type.Length == 0) yield return FieldError.Required("spec.type");
        else if (!ServiceTypes.Contains(type)) yield return FieldError.NotSupported("spec.type", type, ServiceTypes);
        if (type == "ClusterIP")
            for (var i = 0; i < ports.Count; i++)
                if ((Int(ports[i]["nodePort"]) ?? 0) != 0) yield return FieldError.Forbidden($"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'");
        var seen = new HashSet<string>();
        for (var i = 0; i < ports.Count; i++)
        {
            var proto = Str(ports[i]["protocol"]) ?? "";
            var port = Int(ports[i]["port"]) ?? 0;
            if (!seen.Add(proto + "/" + port))
                yield return FieldError.Duplicate($"spec.ports[{i}]", new GoValue(
                    $"core.ServicePort{{Name:\"\", Protocol:{GoQuote.Quote(proto)}, AppProtocol:(*string)(nil), Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}"));
        }
        var nodePorts = new HashSet<string>();
        for (var i = 0; i < ports.Count; i++)
        {
            var np = Int(ports[i]["nodePort"]) ?? 0;
            if (np == 0) continue;
            if (!nodePorts.Add((Str(ports[i]["protocol"]) ?? "") + "/" + np))
                yield return FieldError.Duplicate($"spec.ports[{i}].nodePort", np);
        }
        if (IsUnset(spec["internalTrafficPolicy"]) && type is "NodePort" or "LoadBalancer" or "ClusterIP")
            yield return FieldError.Required("spec.internalTrafficPolicy");
        if (Str(spec["internalTrafficPolicy"]) is { } itp && itp is not ("Cluster" or "Local"))
            yield return FieldError.NotSupported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"]);
        var externallyAccessible = type is "LoadBalancer" or "NodePort" || type == "ClusterIP" && (Arr(spec["externalIPs"])?.Count ?? 0) > 0;
        var etp = Str(spec["externalTrafficPolicy"]) ?? "";
        if (!externallyAccessible)
        {
            if (etp.Length > 0) yield return FieldError.Invalid("spec.externalTrafficPolicy", etp, "may only be set for externally-accessible services");
        }
        else if (etp.Length == 0) yield return FieldError.Required("spec.externalTrafficPolicy");
        else if (etp is not ("Cluster" or "Local")) yield return FieldError.NotSupported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"]);
        if (!IsUnset(spec["allocateLoadBalancerNodePorts"]) && type != "LoadBalancer")
            yield return FieldError.Forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'");
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        var spec = Child(obj, "spec") ?? new JsonObject();
        var oldSpec = Child(old, "spec") ?? new JsonObject();
        // The primary cluster IP may not change, except when moving to or from ExternalName.
        if (Str(spec["type"]) != "ExternalName" && Str(oldSpec["type"]) != "ExternalName"
            && Str(oldSpec["clusterIP"]) is { Length: > 0 } oldIp && (Str(spec["clusterIP"]) ?? "") != oldIp)
        {
            var ips = Arr(spec["clusterIPs"]);
            yield return FieldError.Invalid("spec.clusterIPs[0]",
                new GoValue("[]string{" + string.Join(", ", (ips ?? []).Select(x => GoQuote.Quote(Str(x) ?? ""))) + "}"), "may not change once set");
        }
        foreach (var e in Validate(obj)) yield return e;
    }
}
