using System.Text.Json.Nodes;

namespace Anvil.Toolforge.Accounts;

/// <summary>
/// The two cluster-scoped custom resources that hold Toolforge's accounts (LDAP's role in Toolforge):
/// <c>tools.toolforge.org</c> (spec: uid, gid, maintainers, disabled) and <c>users.toolforge.org</c>
/// (spec: uid, admin). The tool-accounts controller, the admin CLI and the tool policy admission all read these.
/// </summary>
public static class ToolforgeCrds
{
    public const string Group = "toolforge.org";
    public const string Version = "v1";

    public static JsonObject Tool() => Crd("tools", "tool", "Tool", ["tool"], new JsonObject
    {
        ["type"] = "object",
        ["required"] = new JsonArray("uid", "gid"),
        ["properties"] = new JsonObject
        {
            ["uid"] = new JsonObject { ["type"] = "integer", ["format"] = "int64", ["minimum"] = 1000 },
            ["gid"] = new JsonObject { ["type"] = "integer", ["format"] = "int64", ["minimum"] = 1000 },
            ["maintainers"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
            ["disabled"] = new JsonObject { ["type"] = "boolean" },
        },
    }, [
        Column("UID", "integer", ".spec.uid"),
        Column("Disabled", "boolean", ".spec.disabled"),
        Column("Maintainers", "string", ".spec.maintainers"),
        Column("Age", "date", ".metadata.creationTimestamp"),
    ]);

    public static JsonObject User() => Crd("users", "user", "User", ["tfuser"], new JsonObject
    {
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            ["uid"] = new JsonObject { ["type"] = "integer", ["format"] = "int64" },
            ["admin"] = new JsonObject { ["type"] = "boolean" },
        },
    }, [
        Column("Admin", "boolean", ".spec.admin"),
        Column("Age", "date", ".metadata.creationTimestamp"),
    ]);

    private static JsonObject Column(string name, string type, string path) =>
        new() { ["name"] = name, ["type"] = type, ["jsonPath"] = path };

    private static JsonObject Crd(string plural, string singular, string kind, string[] shortNames, JsonObject spec, JsonObject[] columns) => new()
    {
        ["apiVersion"] = "apiextensions.k8s.io/v1",
        ["kind"] = "CustomResourceDefinition",
        ["metadata"] = new JsonObject { ["name"] = $"{plural}.{Group}" },
        ["spec"] = new JsonObject
        {
            ["group"] = Group,
            ["scope"] = "Cluster",
            ["names"] = new JsonObject
            {
                ["plural"] = plural,
                ["singular"] = singular,
                ["kind"] = kind,
                ["listKind"] = kind + "List",
                ["shortNames"] = new JsonArray(shortNames.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
                ["categories"] = new JsonArray("toolforge"),
            },
            ["versions"] = new JsonArray(new JsonObject
            {
                ["name"] = Version,
                ["served"] = true,
                ["storage"] = true,
                ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
                ["additionalPrinterColumns"] = new JsonArray(columns.Select(c => (JsonNode?)c).ToArray()),
                ["schema"] = new JsonObject
                {
                    ["openAPIV3Schema"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["properties"] = new JsonObject
                        {
                            ["spec"] = spec,
                            ["status"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true },
                        },
                    },
                },
            }),
        },
    };
}
