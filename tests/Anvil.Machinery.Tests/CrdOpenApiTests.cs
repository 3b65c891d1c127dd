using System.Text.Json.Nodes;
using Anvil.Machinery.CustomResources;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;

namespace Anvil.Machinery.Tests;

public sealed class CrdOpenApiTests
{
    private static readonly Lazy<JsonObject> CoreV1 = new(() =>
        TestJson.Obj(File.ReadAllText("/work/shared/k8s-api/openapi-v3/api__v1_openapi.json")));

    private static JsonObject Crd(string scope = "Namespaced")
    {
        var crd = TestJson.Obj(CustomResourceSchemaTests.CronTabCrd);
        crd["spec"]!["scope"] = scope;
        return crd;
    }

    private static JsonObject Document(string scope = "Namespaced") => CrdOpenApi.BuildDocument(Crd(scope), "v1", CoreV1.Value);

    [Theory]
    [InlineData("stable.example.com", "v1", "CronTab", "com.example.stable.v1.CronTab")]
    [InlineData("toolforge.org", "v1beta1", "Job", "org.toolforge.v1beta1.Job")]
    [InlineData("example", "v2", "Thing", "example.v2.Thing")]
    public void DefinitionNamesReverseTheGroup(string group, string version, string kind, string expected)
    {
        Assert.Equal(expected, CrdOpenApi.DefinitionName(group, version, kind));
    }

    [Fact]
    public void ComponentsHoldTheKindItsListAndTheMetaDefinitions()
    {
        var schemas = (JsonObject)Document()["components"]!["schemas"]!;
        foreach (var name in new[]
                 {
                     "com.example.stable.v1.CronTab", "com.example.stable.v1.CronTabList",
                     "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
                     "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference", "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
                     "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1", "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
                     "io.k8s.apimachinery.pkg.apis.meta.v1.Status", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
                     "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
                 })
            Assert.True(schemas.ContainsKey(name), name);
        Assert.False(schemas.ContainsKey("io.k8s.api.core.v1.Pod")); // only what the CRD needs

        var kind = schemas["com.example.stable.v1.CronTab"]!;
        Assert.Equal("""[{"group":"stable.example.com","kind":"CronTab","version":"v1"}]""", kind["x-kubernetes-group-version-kind"]!.ToJsonString());
        Assert.Equal("string", (string?)kind["properties"]!["apiVersion"]!["type"]);
        Assert.Equal("string", (string?)kind["properties"]!["kind"]!["type"]);
        Assert.Equal("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", (string?)kind["properties"]!["metadata"]!["allOf"]![0]!["$ref"]);
        Assert.Equal(10, (int)kind["properties"]!["spec"]!["properties"]!["replicas"]!["maximum"]!);
        var template = kind["properties"]!["spec"]!["properties"]!["template"]!;
        Assert.Equal("""["kind","apiVersion"]""", template["required"]!.ToJsonString());
        Assert.NotNull(template["properties"]!["metadata"]);

        var list = schemas["com.example.stable.v1.CronTabList"]!;
        Assert.Equal("""[{"group":"stable.example.com","kind":"CronTabList","version":"v1"}]""", list["x-kubernetes-group-version-kind"]!.ToJsonString());
        Assert.Equal("#/components/schemas/com.example.stable.v1.CronTab", (string?)list["properties"]!["items"]!["items"]!["$ref"]);
        Assert.Equal("""["items"]""", list["required"]!.ToJsonString());
    }

    [Fact]
    public void NamespacedPathsAndOperations()
    {
        var paths = (JsonObject)Document()["paths"]!;
        Assert.Equal(
        [
            "/apis/stable.example.com/v1/crontabs",
            "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs",
            "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}",
            "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/status",
        ], paths.Select(p => p.Key));
        var item = paths["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]!;
        Assert.Equal(["delete", "get", "patch", "put", "parameters"], ((JsonObject)item).Select(p => p.Key));
        Assert.Equal("patchStableExampleComV1NamespacedCronTab", (string?)item["patch"]!["operationId"]);
        Assert.Equal("partially update the specified CronTab", (string?)item["patch"]!["description"]);
        Assert.Equal("stableExampleCom_v1", (string?)item["patch"]!["tags"]![0]);
        Assert.Equal("readStableExampleComV1NamespacedCronTab", (string?)item["get"]!["operationId"]);
        Assert.Equal("#/components/schemas/com.example.stable.v1.CronTab",
            (string?)item["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]);
        Assert.Equal(["name", "namespace", "pretty"], item["parameters"]!.AsArray().Select(p => (string?)p!["name"]));

        var collection = paths["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs"]!;
        Assert.Equal("createStableExampleComV1NamespacedCronTab", (string?)collection["post"]!["operationId"]);
        Assert.Equal("create a CronTab", (string?)collection["post"]!["description"]);
        Assert.Equal("listStableExampleComV1NamespacedCronTab", (string?)collection["get"]!["operationId"]);
        Assert.Contains("labelSelector", collection["get"]!["parameters"]!.AsArray().Select(p => (string?)p!["name"]));
        Assert.Equal("deletecollection", (string?)collection["delete"]!["x-kubernetes-action"]);

        var all = paths["/apis/stable.example.com/v1/crontabs"]!;
        Assert.Equal("listStableExampleComV1CronTabForAllNamespaces", (string?)all["get"]!["operationId"]);
        Assert.Equal("#/components/schemas/com.example.stable.v1.CronTabList",
            (string?)all["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]);
    }

    [Fact]
    public void ClusterScopedPathsHaveNoNamespace()
    {
        var paths = (JsonObject)Document("Cluster")["paths"]!;
        Assert.Equal(
        [
            "/apis/stable.example.com/v1/crontabs",
            "/apis/stable.example.com/v1/crontabs/{name}",
            "/apis/stable.example.com/v1/crontabs/{name}/status",
        ], paths.Select(p => p.Key));
        Assert.Equal("patchStableExampleComV1CronTab", (string?)paths["/apis/stable.example.com/v1/crontabs/{name}"]!["patch"]!["operationId"]);
        Assert.Equal(["name", "pretty"], paths["/apis/stable.example.com/v1/crontabs/{name}"]!["parameters"]!.AsArray().Select(p => (string?)p!["name"]));
    }

    /// <summary>kubectl's queryParamVerifierV3: the first patch operation for the GVK must have an inline fieldValidation parameter.</summary>
    [Fact]
    public void PatchOperationAdvertisesServerSideFieldValidation()
    {
        var doc = Document();
        var patch = ((JsonObject)doc["paths"]!).Select(p => p.Value!["patch"]).OfType<JsonObject>()
            .First(op => op["x-kubernetes-group-version-kind"]!.ToJsonString() == """{"group":"stable.example.com","kind":"CronTab","version":"v1"}""");
        var fieldValidation = patch["parameters"]!.AsArray().Single(p => (string?)p!["name"] == "fieldValidation")!;
        Assert.Equal("query", (string?)fieldValidation["in"]);
        Assert.Equal("string", (string?)fieldValidation["schema"]!["type"]);
        var fieldManager = patch["parameters"]!.AsArray().Single(p => (string?)p!["name"] == "fieldManager")!;
        Assert.Contains("required for apply requests", (string?)fieldManager["description"]);
        Assert.Equal(["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"],
            ((JsonObject)patch["requestBody"]!["content"]!).Select(p => p.Key));
    }

    [Fact]
    public void DocumentLoadsIntoTheSchemaRegistry()
    {
        var registry = new SchemaRegistry();
        registry.AddOpenApiV3(Document());
        var node = registry.ForKind(new GroupVersionKind("stable.example.com", "v1", "CronTab"))!;
        Assert.Equal(SchemaKind.Integer, node.Property("spec")!.Property("replicas")!.Kind);
        Assert.Equal(SchemaKind.Object, node.Property("metadata")!.Kind);
        Assert.NotNull(node.Property("metadata")!.Property("managedFields"));
        Assert.NotNull(registry.ForKind(new GroupVersionKind("stable.example.com", "v1", "CronTabList")));
    }

    [Fact]
    public void VersionWithoutSchemaGetsABareObject()
    {
        var crd = Crd();
        ((JsonObject)crd["spec"]!["versions"]![0]!).Remove("schema");
        var kind = CrdOpenApi.BuildDocument(crd, "v1", CoreV1.Value)["components"]!["schemas"]!["com.example.stable.v1.CronTab"]!;
        Assert.Equal("""{"type":"object","x-kubernetes-group-version-kind":[{"group":"stable.example.com","kind":"CronTab","version":"v1"}]}""", kind.ToJsonString());
    }
}
