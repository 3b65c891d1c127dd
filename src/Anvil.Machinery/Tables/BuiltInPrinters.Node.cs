using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

internal static partial class BuiltInPrinters
{
    private const string NodeRolePrefix = "node-role.kubernetes.io/";

    private static readonly ITablePrinter Node = Printer(
        [NameColumn, Col("Status", "string", "The status of the node"), Col("Roles", "string", "The roles of the node"), AgeColumn,
         Col("Version", "string", "Kubelet Version reported by the node."),
         Col("Internal-IP", "string", "List of addresses reachable to the node.", 1),
         Col("External-IP", "string", "List of addresses reachable to the node.", 1),
         Col("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
         Col("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
         Col("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1)],
        (o, now) =>
        {
            var status = new List<string>();
            // The last Ready condition wins, as in the upstream condition map.
            if (Json.Objects(o, "status", "conditions").LastOrDefault(c => Json.Str(c, "type") == "Ready") is { } ready)
                status.Add(Json.Str(ready, "status") == "True" ? "Ready" : "NotReady");
            if (status.Count == 0) status.Add("Unknown");
            if (Json.Bool(o, "spec", "unschedulable")) status.Add("SchedulingDisabled");

            var roles = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var (key, value) in Json.Obj(o, "metadata", "labels") ?? [])
            {
                if (key.StartsWith(NodeRolePrefix, StringComparison.Ordinal) && key.Length > NodeRolePrefix.Length)
                    roles.Add(key[NodeRolePrefix.Length..]);
                else if (key == "kubernetes.io/role" && Json.Str(value) is { Length: > 0 } role)
                    roles.Add(role);
            }

            return [Name(o), string.Join(",", status), roles.Count == 0 ? "<none>" : string.Join(",", roles), TableFormat.Age(o, now),
                    Json.Str(o, "status", "nodeInfo", "kubeletVersion"), NodeAddress(o, "InternalIP"), NodeAddress(o, "ExternalIP"),
                    OrUnknown(Json.Str(o, "status", "nodeInfo", "osImage")), OrUnknown(Json.Str(o, "status", "nodeInfo", "kernelVersion")),
                    OrUnknown(Json.Str(o, "status", "nodeInfo", "containerRuntimeVersion"))];
        });

    private static string NodeAddress(JsonObject node, string type) =>
        Json.Objects(node, "status", "addresses").FirstOrDefault(a => Json.Str(a, "type") == type) is { } a ? Json.Str(a, "address") : "<none>";

    private static string OrUnknown(string s) => s.Length == 0 ? "<unknown>" : s;
}
