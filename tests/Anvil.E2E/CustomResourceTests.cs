using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>CustomResourceDefinitions: establishment, discovery, printer columns, short names, status subresource, schema validation.</summary>
public sealed class CustomResourceTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private const string CrdName = "widgets.e2e.anvil.dev";

    private const string Crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.e2e.anvil.dev
        spec:
          group: e2e.anvil.dev
          scope: Namespaced
          names:
            plural: widgets
            singular: widget
            kind: Widget
            listKind: WidgetList
            shortNames: [wd]
          versions:
          - name: v1
            served: true
            storage: true
            subresources:
              status: {}
            additionalPrinterColumns:
            - name: Size
              type: integer
              jsonPath: .spec.size
            - name: Color
              type: string
              jsonPath: .spec.color
            - name: Age
              type: date
              jsonPath: .metadata.creationTimestamp
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [size]
                    properties:
                      size:
                        type: integer
                        minimum: 1
                      color:
                        type: string
                  status:
                    type: object
                    properties:
                      ready:
                        type: boolean
        """;

    // The CRD is set up once per server; when that fails, every test here fails at once with the same reason.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<AnvilServer, Task> CrdSetups = new();

    private Task EnsureCrdAsync()
    {
        lock (CrdSetups) return CrdSetups.GetValue(Server, _ => SetUpCrdAsync());
    }

    /// <summary>Applies the CRD and waits until it is Established.</summary>
    private async Task SetUpCrdAsync()
    {
        var apply = await KWithInput(Crd, "apply", "-f", "-");
        Assert.Equal($"customresourcedefinition.apiextensions.k8s.io/{CrdName} created\n", apply.Succeeded().Stdout);
        // kubectl's own --timeout, plus a bound in case kubectl does not honour it.
        var wait = await Kubectl.RunAsync(["wait", "--for=condition=Established", "--timeout=20s", "crd/" + CrdName], stdin: null, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal($"customresourcedefinition.apiextensions.k8s.io/{CrdName} condition met\n", wait.Succeeded().Stdout);
    }

    private static string Widget(string name, int size, string color) => $$"""
        apiVersion: e2e.anvil.dev/v1
        kind: Widget
        metadata:
          name: {{name}}
        spec:
          size: {{size}}
          color: {{color}}
        """;

    [Fact]
    public async Task Crd_IsEstablished_AndInDiscovery()
    {
        await EnsureCrdAsync();

        var conditions = await JsonPathAsync("", "crd", CrdName, "{range .status.conditions[*]}{.type}={.status};{end}");
        var resources = await K("api-resources", "--api-group=e2e.anvil.dev");

        Assert.Contains("Established=True;", conditions, StringComparison.Ordinal);
        Assert.Contains("NamesAccepted=True;", conditions, StringComparison.Ordinal);
        Table.AssertTable(resources, ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"],
            ["widgets", "wd", "e2e.anvil.dev/v1", "true", "Widget"]);
    }

    [Fact]
    public async Task CustomResource_CreateAndGetByShortName_ShowsPrinterColumns()
    {
        await EnsureCrdAsync();
        var ns = await NamespaceAsync("crd-get");

        var create = await KWithInput(Widget("small", 3, "blue"), "apply", "-n", ns, "-f", "-");
        var get = await K("get", "wd", "-n", ns);
        var single = await K("get", "widget.e2e.anvil.dev", "small", "-n", ns, "-o", "jsonpath={.kind} {.apiVersion} {.spec.size}");

        Assert.Equal("widget.e2e.anvil.dev/small created\n", create.Succeeded().Stdout);
        Table.AssertTable(get, ["NAME", "SIZE", "COLOR", "AGE"], ["small", "3", "blue", Table.Age]);
        Assert.Equal("Widget e2e.anvil.dev/v1 3", single.Succeeded().Stdout);
    }

    [Fact]
    public async Task CustomResource_StatusSubresource()
    {
        await EnsureCrdAsync();
        var ns = await NamespaceAsync("crd-status");
        await CreateAsync(ns, Widget("status", 2, "red"));

        // Through the main resource the status is ignored; through /status only the status changes.
        var main = await K("patch", "widget", "status", "-n", ns, "--type", "merge", "-p", """{"spec":{"size":5},"status":{"ready":true}}""");
        var afterMain = await JsonPathAsync(ns, "widget", "status", "{.spec.size} {.status.ready}");
        var sub = await K("patch", "widget", "status", "-n", ns, "--subresource=status", "--type", "merge", "-p", """{"spec":{"size":9},"status":{"ready":true}}""");
        var afterSub = await JsonPathAsync(ns, "widget", "status", "{.spec.size} {.status.ready}");
        var table = await K("get", "wd", "status", "-n", ns);

        Assert.Equal("widget.e2e.anvil.dev/status patched\n", main.Succeeded().Stdout);
        Assert.Equal("5 ", afterMain);
        Assert.Equal("widget.e2e.anvil.dev/status patched\n", sub.Succeeded().Stdout);
        Assert.Equal("5 true", afterSub);
        Table.AssertTable(table, ["NAME", "SIZE", "COLOR", "AGE"], ["status", "5", "red", Table.Age]);
    }

    [Fact]
    public async Task CustomResource_ViolatingSchema_IsInvalid()
    {
        await EnsureCrdAsync();
        var ns = await NamespaceAsync("crd-invalid");

        var r = (await KWithInput(Widget("bad", 0, "green"), "create", "-n", ns, "-f", "-")).Failed();

        Assert.Equal("The Widget \"bad\" is invalid: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1\n", r.Stderr);
        Assert.Equal("Error from server (NotFound): widgets.e2e.anvil.dev \"bad\" not found\n", (await K("get", "widget", "bad", "-n", ns)).Failed().Stderr);
    }

    [Fact]
    public async Task CustomResource_WrongType_IsInvalid()
    {
        await EnsureCrdAsync();
        var ns = await NamespaceAsync("crd-wrong-type");

        var r = (await KWithInput("""
            apiVersion: e2e.anvil.dev/v1
            kind: Widget
            metadata:
              name: typed
            spec:
              size: big
            """, "create", "-n", ns, "-f", "-")).Failed();

        Assert.Equal("The Widget \"typed\" is invalid: spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\"\n", r.Stderr);
    }
}
