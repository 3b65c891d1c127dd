using System.Text.Json.Nodes;

namespace Anvil.Toolforge.Accounts;

/// <summary>The objects maintain-kubeusers writes for a tool, as JSON.</summary>
public static class ToolObjects
{
    public static JsonObject Labels() => new() { [ToolAccountLabels.ManagedBy] = ToolAccountLabels.ManagedByValue };

    public static JsonObject Namespace(string tool) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject
        {
            ["name"] = ToolNames.Namespace(tool),
            ["labels"] = new JsonObject { ["name"] = ToolNames.Namespace(tool), ["tenancy"] = "tool" },
        },
    };

    public static JsonObject ResourceQuota(string tool, IReadOnlyDictionary<string, string> hard) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ResourceQuota",
        ["metadata"] = new JsonObject { ["name"] = ToolNames.Namespace(tool), ["labels"] = Labels() },
        ["spec"] = new JsonObject { ["hard"] = Map(hard) },
    };

    public static JsonObject LimitRange(string tool, ToolQuotaDefaults d, (string Cpu, string Memory)? max = null) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "LimitRange",
        ["metadata"] = new JsonObject { ["name"] = ToolNames.Namespace(tool), ["labels"] = Labels() },
        ["spec"] = new JsonObject
        {
            ["limits"] = new JsonArray(LimitRangeItem(d, max)),
        },
    };

    public static JsonObject LimitRangeItem(ToolQuotaDefaults d, (string Cpu, string Memory)? max = null) => new()
    {
        ["type"] = "Container",
        ["default"] = Pair(d.DefaultLimit),
        ["defaultRequest"] = Pair(d.DefaultRequest),
        ["max"] = Pair(max ?? d.Max),
        ["min"] = Pair(d.Min),
    };

    public static JsonObject ToolRoleBinding(string tool) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "RoleBinding",
        ["metadata"] = new JsonObject { ["name"] = tool + "-tool-binding", ["labels"] = Labels() },
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = ToolforgeRoles.ToolsUser },
        ["subjects"] = new JsonArray(new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "User", ["name"] = tool }),
    };

    public static JsonObject UserClusterRoleBinding(string name, string user, string role)
    {
        var labels = Labels();
        labels[ToolAccountLabels.User] = user;
        return new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRoleBinding",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels },
            ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = role },
            ["subjects"] = new JsonArray(new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "User", ["name"] = user }),
        };
    }

    public static JsonObject Marker(DateTimeOffset created, DateTimeOffset expires) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = ToolAccountLabels.Marker, ["labels"] = Labels() },
        ["data"] = new JsonObject
        {
            ["status"] = "user created: " + created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture),
            ["expires"] = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        },
    };

    private static JsonObject Pair((string Cpu, string Memory) p) => new() { ["cpu"] = p.Cpu, ["memory"] = p.Memory };

    private static JsonObject Map(IReadOnlyDictionary<string, string> map)
    {
        var o = new JsonObject();
        foreach (var (k, v) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = v;
        return o;
    }
}
