using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// Unknown fields: kubectl 1.32 sends fieldValidation=Strict by default (validation on the server),
/// Ignore with --validate=false and Warn with --validate=warn.
/// </summary>
public sealed class FieldValidationTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private const string ConfigMapWithUnknownField = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: unknown
        foo: bar
        data:
          a: "1"
        """;

    private const string DeploymentWithUnknownSpecField = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: unknown
        spec:
          foo: bar
          replicas: 0
          selector:
            matchLabels: {app: unknown}
          template:
            metadata:
              labels: {app: unknown}
            spec:
              containers:
              - name: a
                image: nginx:1.27
        """;

    [Fact]
    public async Task Create_UnknownTopLevelField_IsBadRequest()
    {
        var ns = await NamespaceAsync("strict-create");
        var file = Kubectl.WriteFile("x.yaml", ConfigMapWithUnknownField);

        var r = (await K("create", "-n", ns, "-f", file)).Failed();

        Assert.Equal(
            "Error from server (BadRequest): error when creating \"x.yaml\": ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"foo\"\n",
            r.Stderr);
        Assert.Equal("Error from server (NotFound): configmaps \"unknown\" not found\n", (await K("get", "configmap", "unknown", "-n", ns)).Failed().Stderr);
    }

    [Fact]
    public async Task Apply_UnknownNestedField_IsBadRequest()
    {
        var ns = await NamespaceAsync("strict-apply");
        var file = Kubectl.WriteFile("deploy.yaml", DeploymentWithUnknownSpecField);

        var r = (await K("apply", "-n", ns, "-f", file)).Failed();

        Assert.Equal(
            "Error from server (BadRequest): error when creating \"deploy.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.foo\"\n",
            r.Stderr);
    }

    [Fact]
    public async Task ServerSideApply_UnknownField_IsBadRequest()
    {
        var ns = await NamespaceAsync("strict-ssa");
        var file = Kubectl.WriteFile("deploy.yaml", DeploymentWithUnknownSpecField);

        var r = (await K("apply", "--server-side", "-n", ns, "-f", file)).Failed();

        Assert.Equal(
            $"Error from server (BadRequest): failed to create typed patch object ({ns}/unknown; apps/v1, Kind=Deployment): .spec.foo: field not declared in schema\n",
            r.Stderr);
    }

    [Fact]
    public async Task ValidateFalse_DropsUnknownField()
    {
        var ns = await NamespaceAsync("strict-ignore");
        var file = Kubectl.WriteFile("x.yaml", ConfigMapWithUnknownField);

        var r = await K("create", "--validate=false", "-n", ns, "-f", file);

        Assert.Equal("configmap/unknown created\n", r.Succeeded().Stdout);
        Assert.Equal("", r.Stderr);
        var obj = await GetJsonAsync(ns, "configmap", "unknown");
        Assert.False(obj.ContainsKey("foo"), obj.ToJsonString());
        Assert.Equal("1", (string?)obj["data"]!["a"]);
    }

    [Fact]
    public async Task ValidateWarn_CreatesWithWarning()
    {
        var ns = await NamespaceAsync("strict-warn");
        var file = Kubectl.WriteFile("x.yaml", ConfigMapWithUnknownField);

        var r = await K("create", "--validate=warn", "-n", ns, "-f", file);

        Assert.Equal("configmap/unknown created\n", r.Succeeded().Stdout);
        Assert.Equal("Warning: unknown field \"foo\"\n", r.Stderr);
    }
}
