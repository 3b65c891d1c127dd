using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;

namespace Anvil.Machinery.Tests.Apply;

/// <summary>The real Kubernetes 1.32 schemas, loaded once for the apply tests.</summary>
internal static class ApplyTestSchemas
{
    private static readonly Lazy<SchemaRegistry> Lazy = new(() =>
    {
        var registry = new SchemaRegistry();
        foreach (var file in new[] { "api__v1_openapi.json", "apis__apps__v1_openapi.json" })
            registry.AddOpenApiV3(JsonNode.Parse(File.ReadAllText(Path.Combine("/work/shared/k8s-api/openapi-v3", file)))!.AsObject());
        return registry;
    });

    public static SchemaNode ConfigMap => Lazy.Value.ForKind(new GroupVersionKind("", "v1", "ConfigMap"))!;
    public static SchemaNode Deployment => Lazy.Value.ForKind(new GroupVersionKind("apps", "v1", "Deployment"))!;
    public static SchemaNode ServiceAccount => Lazy.Value.ForKind(new GroupVersionKind("", "v1", "ServiceAccount"))!;
    public static SchemaNode Pod => Lazy.Value.ForKind(new GroupVersionKind("", "v1", "Pod"))!;

    public static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();
}
