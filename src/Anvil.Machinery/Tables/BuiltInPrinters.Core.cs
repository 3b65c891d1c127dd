using System.Text;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

internal static partial class BuiltInPrinters
{
    private static readonly ITablePrinter Namespace = Printer(
        [NameColumn, Col("Status", "string", "The status of the namespace"), AgeColumn],
        (o, now) => [Name(o), Json.Str(o, "status", "phase"), TableFormat.Age(o, now)]);

    private static readonly ITablePrinter ConfigMap = Printer(
        [NameColumn, Col("Data", "string", "Data contains the configuration data."), AgeColumn],
        (o, now) => [Name(o), (long)(Json.Count(o, "data") + Json.Count(o, "binaryData")), TableFormat.Age(o, now)]);

    private static readonly ITablePrinter Secret = Printer(
        [NameColumn, Col("Type", "string", "Used to facilitate programmatic handling of secret data."),
         Col("Data", "string", "Data contains the secret data."), AgeColumn],
        (o, now) => [Name(o), Json.Str(o, "type"), (long)Json.Count(o, "data"), TableFormat.Age(o, now)]);

    private static readonly ITablePrinter ServiceAccount = Printer(
        [NameColumn, Col("Secrets", "string", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), AgeColumn],
        (o, now) => [Name(o), (long)Json.Count(o, "secrets"), TableFormat.Age(o, now)]);

    private static readonly ITablePrinter Endpoints = Printer(
        [NameColumn, Col("Endpoints", "string", "The set of all endpoints is the union of all subsets."), AgeColumn],
        (o, now) => [Name(o), FormatEndpoints(o), TableFormat.Age(o, now)]);

    // formatEndpoints: up to three host:port pairs (or bare IPs for port-less subsets), then "+ N more...".
    private static string FormatEndpoints(JsonObject o)
    {
        var subsets = Json.Objects(o, "subsets").ToList();
        if (subsets.Count == 0) return "<none>";
        const int max = 3;
        var list = new List<string>();
        var more = false;
        var count = 0;
        foreach (var ss in subsets)
        {
            var addresses = Json.Objects(ss, "addresses").Select(a => Json.Str(a, "ip")).ToList();
            var ports = Json.Objects(ss, "ports").ToList();
            if (ports.Count == 0)
            {
                count += addresses.Count;
                foreach (var ip in addresses)
                {
                    if (list.Count == max) { more = true; break; }
                    list.Add(ip);
                }
                continue;
            }
            foreach (var port in ports)
            {
                count += addresses.Count;
                foreach (var ip in addresses)
                {
                    if (list.Count == max) { more = true; break; }
                    var host = ip.Contains(':') ? "[" + ip + "]" : ip;
                    list.Add(host + ":" + Json.Int(port, "port"));
                }
            }
        }
        var ret = string.Join(",", list);
        return more ? $"{ret} + {count - max} more..." : ret;
    }

    private static readonly ITablePrinter Service = Printer(
        [NameColumn, Col("Type", "string", "type determines how the Service is exposed."),
         Col("Cluster-IP", "string", "clusterIP is the IP address of the service."),
         Col("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
         Col("Port(s)", "string", "The list of ports that are exposed by this service."), AgeColumn,
         Col("Selector", "string", "Route service traffic to pods with label keys and values matching this selector.", 1)],
        (o, now) =>
        {
            var clusterIPs = Json.Strings(o, "spec", "clusterIPs").ToList();
            var ports = string.Join(",", Json.Objects(o, "spec", "ports").Select(p =>
            {
                var nodePort = Json.Int(p, "nodePort");
                var protocol = Json.Str(p, "protocol");
                return nodePort > 0 ? $"{Json.Int(p, "port")}:{nodePort}/{protocol}" : $"{Json.Int(p, "port")}/{protocol}";
            }));
            return [Name(o), Json.Str(o, "spec", "type"), clusterIPs.Count > 0 ? clusterIPs[0] : "<none>", ServiceExternalIP(o),
                    ports.Length == 0 ? "<none>" : ports, TableFormat.Age(o, now), TableFormat.FormatLabels(Json.Obj(o, "spec", "selector"))];
        });

    private static string ServiceExternalIP(JsonObject o)
    {
        var externalIPs = Json.Strings(o, "spec", "externalIPs").ToList();
        switch (Json.Str(o, "spec", "type"))
        {
            case "ClusterIP" or "NodePort":
                return externalIPs.Count > 0 ? string.Join(",", externalIPs) : "<none>";
            case "LoadBalancer":
                var lb = LoadBalancerIngress(Json.At(o, "status", "loadBalancer"));
                if (externalIPs.Count > 0)
                    return string.Join(",", (lb.Length > 0 ? lb.Split(',') : []).Concat(externalIPs));
                return lb.Length > 0 ? lb : "<pending>";
            case "ExternalName":
                return Json.Str(o, "spec", "externalName");
            default:
                return "<unknown>";
        }
    }

    // loadBalancerStatusStringer with wide output: the sorted set of ingress IPs (or hostnames).
    internal static string LoadBalancerIngress(JsonNode? status) =>
        string.Join(",", Json.Objects(status, "ingress")
            .Select(i => Json.Str(i, "ip") is { Length: > 0 } ip ? ip : Json.Str(i, "hostname"))
            .Where(s => s.Length > 0).Distinct().Order(StringComparer.Ordinal));

    private static readonly ITablePrinter ResourceQuota = Printer(
        [NameColumn, Col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
         Col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."), AgeColumn],
        (o, now) =>
        {
            var hard = Json.Obj(o, "status", "hard");
            var used = Json.Obj(o, "status", "used");
            var request = new StringBuilder();
            var limit = new StringBuilder();
            foreach (var (resource, hardValue) in (hard ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                var pieces = resource.Split('.');
                var w = pieces.Length > 1 && pieces[0] == "limits" ? limit : request;
                w.Append(resource).Append(": ").Append(TableFormat.FormatQuantity(used?[resource])).Append('/')
                 .Append(TableFormat.FormatQuantity(hardValue)).Append(", ");
            }
            return [Name(o), request.ToString().TrimEndOnce(", "), limit.ToString().TrimEndOnce(", "), TableFormat.Age(o, now)];
        });

    private static string TrimEndOnce(this string s, string suffix) => s.EndsWith(suffix, StringComparison.Ordinal) ? s[..^suffix.Length] : s;

    private static readonly ITablePrinter PersistentVolumeClaim = Printer(
        [NameColumn, Col("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
         Col("Volume", "string", "volumeName is the binding reference to the PersistentVolume backing this claim."),
         Col("Capacity", "string", "capacity represents the actual resources of the underlying volume."),
         Col("Access Modes", "string", "accessModes contains the actual access modes the volume backing the PVC has."),
         Col("StorageClass", "string", "StorageClass of the pvc"),
         Col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"), AgeColumn,
         Col("VolumeMode", "string", "volumeMode defines what type of volume is required by the claim.", 1)],
        (o, now) =>
        {
            var phase = Json.Has(o, "metadata", "deletionTimestamp") ? "Terminating" : Json.Str(o, "status", "phase");
            var volumeName = Json.Str(o, "spec", "volumeName");
            string capacity = "", accessModes = "";
            if (volumeName.Length > 0)
            {
                accessModes = AccessModes(Json.Strings(o, "status", "accessModes"));
                capacity = TableFormat.FormatQuantity(Json.At(o, "status", "capacity", "storage"));
            }
            var storageClass = Json.Str(o, "metadata", "annotations", "volume.beta.kubernetes.io/storage-class");
            if (storageClass.Length == 0) storageClass = Json.Str(o, "spec", "storageClassName");
            var vac = Json.Has(o, "spec", "volumeAttributesClassName") ? Json.Str(o, "spec", "volumeAttributesClassName") : "<unset>";
            var volumeMode = Json.Has(o, "spec", "volumeMode") ? Json.Str(o, "spec", "volumeMode") : "<unset>";
            return [Name(o), phase, volumeName, capacity, accessModes, storageClass, vac, TableFormat.Age(o, now), volumeMode];
        });

    // helper.GetAccessModesAsString: fixed order, duplicates dropped.
    private static string AccessModes(IEnumerable<string> modes)
    {
        var set = modes.ToHashSet();
        var result = new List<string>();
        if (set.Contains("ReadWriteOnce")) result.Add("RWO");
        if (set.Contains("ReadOnlyMany")) result.Add("ROX");
        if (set.Contains("ReadWriteMany")) result.Add("RWX");
        if (set.Contains("ReadWriteOncePod")) result.Add("RWOP");
        return string.Join(",", result);
    }
}
