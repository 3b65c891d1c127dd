using System.Text.Json.Nodes;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary><c>kubectl get</c> in every output form, with selectors, across namespaces, and <c>-w</c>.</summary>
public sealed class GetTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private static readonly string[] ConfigMapHeader = ["NAME", "DATA", "AGE"];

    private static string ConfigMaps(string label) => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cm-a
          labels:
            app: {label}
            tier: front
        data:
          a: "1"
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cm-b
          labels:
            app: {label}
            tier: back
        data:
          a: "2"
          b: "3"
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cm-other
          labels:
            app: other
        """;

    private async Task<string> SeededNamespaceAsync(string name, string label = "e2e")
    {
        var ns = await NamespaceAsync(name);
        await CreateAsync(ns, ConfigMaps(label));
        return ns;
    }

    [Fact]
    public async Task Table_WithLabelSelector()
    {
        var ns = await SeededNamespaceAsync("get-table");

        var r = await K("get", "configmaps", "-n", ns, "-l", "app=e2e");

        Table.AssertTable(r, ConfigMapHeader, ["cm-a", "1", Table.Age], ["cm-b", "2", Table.Age]);
    }

    [Fact]
    public async Task Table_SetBasedLabelSelector()
    {
        var ns = await SeededNamespaceAsync("get-set-selector");

        var r = await K("get", "configmaps", "-n", ns, "-l", "app in (e2e,other),tier notin (back)");

        Table.AssertTable(r, ConfigMapHeader, ["cm-a", "1", Table.Age], ["cm-other", "0", Table.Age]);
    }

    [Fact]
    public async Task Table_ShowLabels()
    {
        var ns = await SeededNamespaceAsync("get-show-labels");

        var r = await K("get", "configmap", "cm-a", "-n", ns, "--show-labels");

        Table.AssertTable(r, ["NAME", "DATA", "AGE", "LABELS"], ["cm-a", "1", Table.Age, "app=e2e,tier=front"]);
    }

    [Fact]
    public async Task Table_NoMatches_SaysNoResources()
    {
        var ns = await SeededNamespaceAsync("get-empty");

        var r = (await K("get", "configmaps", "-n", ns, "-l", "app=nothing")).Succeeded();

        Assert.Equal("", r.Stdout);
        Assert.Equal($"No resources found in {ns} namespace.\n", r.Stderr);
    }

    [Fact]
    public async Task Table_NotFound()
    {
        var ns = await SeededNamespaceAsync("get-notfound");

        var r = (await K("get", "configmap", "missing", "-n", ns)).Failed();

        Assert.Equal("Error from server (NotFound): configmaps \"missing\" not found\n", r.Stderr);
    }

    [Fact]
    public async Task Table_Namespaces()
    {
        await NamespaceAsync("get-ns-table");

        var r = await K("get", "namespace", "get-ns-table");

        Table.AssertTable(r, ["NAME", "STATUS", "AGE"], ["get-ns-table", "Active", Table.Age]);
    }

    [Fact]
    public async Task Wide_Deployment()
    {
        var ns = await NamespaceAsync("get-wide");
        await CreateAsync(ns, """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              replicas: 0
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: nginx
                    image: nginx:1.27
                  - name: sidecar
                    image: busybox:1.36
            """);

        var plain = await K("get", "deployments", "-n", ns);
        var wide = await K("get", "deployments", "-n", ns, "-o", "wide");

        Table.AssertTable(plain, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], ["web", "0/0", "0", "0", Table.Age]);
        Table.AssertTable(wide, ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"],
            ["web", "0/0", "0", "0", Table.Age, "nginx,sidecar", "nginx:1.27,busybox:1.36", "app=web"]);
    }

    [Fact]
    public async Task Json_SingleObject()
    {
        var ns = await SeededNamespaceAsync("get-json");

        var obj = await GetJsonAsync(ns, "configmap", "cm-b");

        Assert.Equal("v1", (string?)obj["apiVersion"]);
        Assert.Equal("ConfigMap", (string?)obj["kind"]);
        Assert.Equal("cm-b", (string?)obj["metadata"]!["name"]);
        Assert.Equal(ns, (string?)obj["metadata"]!["namespace"]);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", (string?)obj["metadata"]!["uid"]);
        Assert.Matches("^[0-9]+$", (string?)obj["metadata"]!["resourceVersion"]);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", (string?)obj["metadata"]!["creationTimestamp"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":"2","b":"3"}"""), obj["data"]), obj.ToJsonString());
    }

    [Fact]
    public async Task Json_List()
    {
        var ns = await SeededNamespaceAsync("get-json-list");

        var r = (await K("get", "configmaps", "-n", ns, "-l", "app=e2e", "-o", "json")).Succeeded();

        var list = JsonNode.Parse(r.Stdout)!.AsObject();
        Assert.Equal("List", (string?)list["kind"]);
        Assert.Equal("v1", (string?)list["apiVersion"]);
        var items = list["items"]!.AsArray();
        Assert.Equal(["cm-a", "cm-b"], items.Select(i => (string?)i!["metadata"]!["name"]));
        Assert.All(items, i => Assert.Equal("ConfigMap", (string?)i!["kind"]));
        Assert.All(items, i => Assert.Equal("v1", (string?)i!["apiVersion"]));
    }

    [Fact]
    public async Task Json_RawListItemsEqualTheirGets()
    {
        // A list without a selector is written from the stored bytes: each item must be what a GET returns.
        var ns = await SeededNamespaceAsync("get-raw-list");

        var list = JsonNode.Parse((await K("get", "--raw", $"/api/v1/namespaces/{ns}/configmaps")).Succeeded().Stdout)!.AsObject();

        Assert.Equal("ConfigMapList", (string?)list["kind"]);
        Assert.Matches("^[0-9]+$", (string?)list["metadata"]!["resourceVersion"]);
        var items = list["items"]!.AsArray().Select(i => i!.AsObject()).Where(i => ((string?)i["metadata"]!["name"])!.StartsWith("cm-", StringComparison.Ordinal)).ToList();
        Assert.Equal(["cm-a", "cm-b", "cm-other"], items.Select(i => (string?)i["metadata"]!["name"]));
        foreach (var item in items)
        {
            var got = JsonNode.Parse((await K("get", "--raw", $"/api/v1/namespaces/{ns}/configmaps/{item["metadata"]!["name"]}")).Succeeded().Stdout);
            Assert.True(JsonNode.DeepEquals(got, item), $"{got!.ToJsonString()} != {item.ToJsonString()}");
        }
    }

    [Fact]
    public async Task Yaml_SingleObject()
    {
        var ns = await SeededNamespaceAsync("get-yaml");

        var r = (await K("get", "configmap", "cm-a", "-n", ns, "-o", "yaml")).Succeeded();

        var lines = r.StdoutLines;
        Assert.Equal("apiVersion: v1", lines[0]);
        Assert.Equal(["data:", "  a: \"1\"", "kind: ConfigMap", "metadata:"], lines[1..5]);
        Assert.Contains("  name: cm-a", lines);
        Assert.Contains($"  namespace: {ns}", lines);
        Assert.Contains("    app: e2e", lines);
        Assert.Contains(lines, l => l.StartsWith("  uid: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task JsonPath_Field_And_Range()
    {
        var ns = await SeededNamespaceAsync("get-jsonpath");

        var one = (await K("get", "configmap", "cm-b", "-n", ns, "-o", "jsonpath={.data.b}")).Succeeded();
        var range = (await K("get", "configmaps", "-n", ns, "-l", "app=e2e", "-o", "jsonpath={range .items[*]}{.metadata.name}={.metadata.labels.tier}{\"\\n\"}{end}")).Succeeded();

        Assert.Equal("3", one.Stdout);
        Assert.Equal("cm-a=front\ncm-b=back\n", range.Stdout);
    }

    [Fact]
    public async Task Name_Output()
    {
        var ns = await SeededNamespaceAsync("get-name");

        var r = (await K("get", "configmaps", "-n", ns, "-l", "app", "-o", "name")).Succeeded();

        Assert.Equal("configmap/cm-a\nconfigmap/cm-b\nconfigmap/cm-other\n", r.Stdout);
    }

    [Fact]
    public async Task CustomColumns_Output()
    {
        var ns = await SeededNamespaceAsync("get-custom-columns");

        var r = await K("get", "configmaps", "-n", ns, "-l", "app=e2e", "-o", "custom-columns=NAME:.metadata.name,TIER:.metadata.labels.tier");

        Table.AssertTable(r, ["NAME", "TIER"], ["cm-a", "front"], ["cm-b", "back"]);
    }

    [Fact]
    public async Task AllNamespaces()
    {
        await SeededNamespaceAsync("get-all-1", label: "spread");
        await SeededNamespaceAsync("get-all-2", label: "spread");

        var r = await K("get", "configmaps", "-A", "-l", "app=spread");

        Table.AssertTable(r, ["NAMESPACE", "NAME", "DATA", "AGE"],
            ["get-all-1", "cm-a", "1", Table.Age],
            ["get-all-1", "cm-b", "2", Table.Age],
            ["get-all-2", "cm-a", "1", Table.Age],
            ["get-all-2", "cm-b", "2", Table.Age]);
    }

    [Fact]
    public async Task FieldSelector_MetadataName()
    {
        var ns = await SeededNamespaceAsync("get-field-selector");

        var r = await K("get", "configmaps", "-n", ns, "--field-selector", "metadata.name=cm-b");
        var negated = await K("get", "configmaps", "-n", ns, "-l", "app", "--field-selector", "metadata.name!=cm-b", "-o", "name");

        Table.AssertTable(r, ConfigMapHeader, ["cm-b", "2", Table.Age]);
        Assert.Equal("configmap/cm-a\nconfigmap/cm-other\n", negated.Succeeded().Stdout);
    }

    [Fact]
    public async Task FieldSelector_UnsupportedField_IsBadRequest()
    {
        var ns = await SeededNamespaceAsync("get-field-selector-bad");

        var r = (await K("get", "configmaps", "-n", ns, "--field-selector", "data.a=1")).Failed();

        Assert.Equal(
            "Error from server (BadRequest): Unable to find \"/v1, Resource=configmaps\" that match label selector \"\", field selector \"data.a=1\": \"data.a\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"\n",
            r.Stderr);
    }

    [Fact]
    public async Task Watch_ShowsAddedThenModifiedThenDeleted()
    {
        var ns = await NamespaceAsync("get-watch");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: watched
              labels: {app: watch}
            data: {k: v}
            """);

        using var watch = Kubectl.Start("get", "configmaps", "-n", ns, "-l", "app=watch", "-w", "--output-watch-events");
        var timeout = TimeSpan.FromSeconds(20);

        Assert.Equal(["EVENT", "NAME", "DATA", "AGE"], Cells(await watch.NextLineAsync(timeout)));
        AssertEvent(await watch.NextLineAsync(timeout), "ADDED");

        (await K("label", "configmap", "watched", "-n", ns, "extra=yes")).Succeeded();
        AssertEvent(await watch.NextLineAsync(timeout), "MODIFIED");

        (await K("delete", "configmap", "watched", "-n", ns)).Succeeded();
        AssertEvent(await watch.NextLineAsync(timeout), "DELETED");

        void AssertEvent(string line, string type)
        {
            var cells = Cells(line);
            Assert.True(cells.Length == 4 && cells[0] == type && cells[1] == "watched" && cells[2] == "1" && Table.CellMatches(cells[3], Table.Age),
                $"expected a {type} row for watched, got \"{line}\"\n{watch.Describe()}");
        }
    }

    [Fact]
    public async Task Watch_Plain_PrintsInitialRowThenChange()
    {
        var ns = await NamespaceAsync("get-watch-plain");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: watched
            data: {k: v}
            """);

        using var watch = Kubectl.Start("get", "configmap", "watched", "-n", ns, "-w");
        var timeout = TimeSpan.FromSeconds(20);

        Assert.Equal(["NAME", "DATA", "AGE"], Cells(await watch.NextLineAsync(timeout)));
        AssertRow(await watch.NextLineAsync(timeout), "1");
        (await K("patch", "configmap", "watched", "-n", ns, "--type", "merge", "-p", """{"data":{"k2":"v2"}}""")).Succeeded();
        AssertRow(await watch.NextLineAsync(timeout), "2");

        void AssertRow(string line, string data)
        {
            var cells = Cells(line);
            Assert.True(cells.Length == 3 && cells[0] == "watched" && cells[1] == data && Table.CellMatches(cells[2], Table.Age),
                $"expected a row for watched with DATA {data}, got \"{line}\"\n{watch.Describe()}");
        }
    }

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task TheKubernetesServiceIsInTheDefaultNamespace()
    {
        var r = (await K("get", "services", "-n", "default")).Succeeded();
        Table.AssertTable(r, ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", Table.Age]);
        Assert.Equal("apiserver kubernetes https 443 TCP " + Server.Port, await JsonPathAsync("default", "service", "kubernetes",
            "{.metadata.labels.component} {.metadata.labels.provider} {.spec.ports[0].name} {.spec.ports[0].port} {.spec.ports[0].protocol} {.spec.ports[0].targetPort}"));
    }
}
