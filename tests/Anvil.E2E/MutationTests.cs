using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary><c>kubectl patch</c> (merge, JSON, strategic), <c>label</c>, <c>annotate</c>, <c>replace</c> and <c>scale</c>.</summary>
public sealed class MutationTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private async Task<string> WithConfigMapAsync(string nsName, string name = "target")
    {
        var ns = await NamespaceAsync(nsName);
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{name}}
            data:
              a: "1"
              b: "2"
            """);
        return ns;
    }

    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 1
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: a
                image: nginx:1.27
        """;

    [Fact]
    public async Task Patch_Merge()
    {
        var ns = await WithConfigMapAsync("patch-merge");

        var r = await K("patch", "configmap", "target", "-n", ns, "--type", "merge", "-p", """{"data":{"a":null,"c":"3"}}""");

        Assert.Equal("configmap/target patched\n", r.Succeeded().Stdout);
        Assert.Equal("""{"b":"2","c":"3"}""", await JsonPathAsync(ns, "configmap", "target", "{.data}"));
    }

    [Fact]
    public async Task Patch_Json()
    {
        var ns = await WithConfigMapAsync("patch-json");

        var r = await K("patch", "configmap", "target", "-n", ns, "--type", "json", "-p",
            """[{"op":"add","path":"/data/c","value":"3"},{"op":"remove","path":"/data/a"},{"op":"replace","path":"/data/b","value":"20"}]""");

        Assert.Equal("configmap/target patched\n", r.Succeeded().Stdout);
        Assert.Equal("""{"b":"20","c":"3"}""", await JsonPathAsync(ns, "configmap", "target", "{.data}"));
    }

    [Fact]
    public async Task Patch_Json_FailedTest_LeavesObjectUnchanged()
    {
        var ns = await WithConfigMapAsync("patch-json-test");
        var before = await JsonPathAsync(ns, "configmap", "target", "{.metadata.resourceVersion} {.data}");

        var r = (await K("patch", "configmap", "target", "-n", ns, "--type", "json", "-p",
            """[{"op":"test","path":"/data/a","value":"nope"},{"op":"remove","path":"/data/b"}]""")).Failed();

        // A failed JSON patch operation is a 422 without kind or name (NewGenericServerResponse), which kubectl prints so.
        Assert.StartsWith("The request is invalid: the server rejected our request due to an error in our request", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await JsonPathAsync(ns, "configmap", "target", "{.metadata.resourceVersion} {.data}"));
    }

    [Fact]
    public async Task Patch_Strategic_MergesContainersByName()
    {
        var ns = await NamespaceAsync("patch-strategic");
        await CreateAsync(ns, Deployment);

        var add = await K("patch", "deployment", "web", "-n", ns, "--type", "strategic", "-p",
            """{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"busybox:1.36"}]}}}}""");
        var modify = await K("patch", "deployment", "web", "-n", ns, "-p",
            """{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"nginx:1.28"}]}}}}""");

        Assert.Equal("deployment.apps/web patched\n", add.Succeeded().Stdout);
        Assert.Equal("deployment.apps/web patched\n", modify.Succeeded().Stdout);
        Assert.Equal("b=busybox:1.36;a=nginx:1.28;",
            await JsonPathAsync(ns, "deployment", "web", "{range .spec.template.spec.containers[*]}{.name}={.image};{end}"));
    }

    [Fact]
    public async Task Patch_Strategic_DeleteDirective()
    {
        var ns = await NamespaceAsync("patch-strategic-delete");
        await CreateAsync(ns, Deployment);
        (await K("patch", "deployment", "web", "-n", ns, "-p",
            """{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"busybox:1.36"}]}}}}""")).Succeeded();

        var r = await K("patch", "deployment", "web", "-n", ns, "-p",
            """{"spec":{"template":{"spec":{"containers":[{"name":"b","$patch":"delete"}]}}}}""");

        Assert.Equal("deployment.apps/web patched\n", r.Succeeded().Stdout);
        Assert.Equal("a", await JsonPathAsync(ns, "deployment", "web", "{.spec.template.spec.containers[*].name}"));
    }

    [Fact]
    public async Task Patch_NoChange()
    {
        var ns = await WithConfigMapAsync("patch-nochange");

        var r = await K("patch", "configmap", "target", "-n", ns, "--type", "merge", "-p", """{"data":{"a":"1"}}""");

        Assert.Equal("configmap/target patched (no change)\n", r.Succeeded().Stdout);
    }

    [Fact]
    public async Task Label_OverwriteRules()
    {
        var ns = await WithConfigMapAsync("label");

        var first = await K("label", "configmap", "target", "-n", ns, "app=web");
        var clash = await K("label", "configmap", "target", "-n", ns, "app=db");
        var overwrite = await K("label", "configmap", "target", "-n", ns, "app=db", "--overwrite");
        var after = await JsonPathAsync(ns, "configmap", "target", "{.metadata.labels}");
        var remove = await K("label", "configmap", "target", "-n", ns, "app-");

        Assert.Equal("configmap/target labeled\n", first.Succeeded().Stdout);
        Assert.Equal("error: 'app' already has a value (web), and --overwrite is false\n", clash.Failed().Stderr);
        Assert.Equal("configmap/target labeled\n", overwrite.Succeeded().Stdout);
        Assert.Equal("""{"app":"db"}""", after);
        Assert.Equal("configmap/target unlabeled\n", remove.Succeeded().Stdout);
        Assert.Equal("", await JsonPathAsync(ns, "configmap", "target", "{.metadata.labels}"));
    }

    [Fact]
    public async Task Patch_InvalidLabelValue_IsRejectedByServer()
    {
        var ns = await WithConfigMapAsync("patch-invalid-label");
        var before = await JsonPathAsync(ns, "configmap", "target", "{.metadata.resourceVersion}");

        // kubectl label checks values itself; a patch reaches the server's validation.
        var r = (await K("patch", "configmap", "target", "-n", ns, "--type", "merge", "-p", """{"metadata":{"labels":{"app":"-bad-"}}}""")).Failed();

        Assert.Equal(
            "The ConfigMap \"target\" is invalid: metadata.labels: Invalid value: \"-bad-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')\n",
            r.Stderr);
        Assert.Equal(before, await JsonPathAsync(ns, "configmap", "target", "{.metadata.resourceVersion}"));
    }

    [Fact]
    public async Task Annotate_OverwriteRules()
    {
        var ns = await WithConfigMapAsync("annotate");

        var first = await K("annotate", "configmap", "target", "-n", ns, "note=hi");
        var clash = await K("annotate", "configmap", "target", "-n", ns, "note=bye");
        var overwrite = await K("annotate", "configmap", "target", "-n", ns, "note=bye", "--overwrite");

        Assert.Equal("configmap/target annotated\n", first.Succeeded().Stdout);
        Assert.Equal("error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hi)\n", clash.Failed().Stderr);
        Assert.Equal("configmap/target annotated\n", overwrite.Succeeded().Stdout);
        Assert.Equal("bye", await JsonPathAsync(ns, "configmap", "target", "{.metadata.annotations.note}"));
    }

    [Fact]
    public async Task Replace_StaleResourceVersion_Conflict()
    {
        var ns = await WithConfigMapAsync("replace-stale");
        var stale = (await K("get", "configmap", "target", "-n", ns, "-o", "json")).Succeeded().Stdout;
        var file = Kubectl.WriteFile("stale.json", stale.Replace("\"b\": \"2\"", "\"b\": \"from-stale\"", StringComparison.Ordinal));
        (await K("label", "configmap", "target", "-n", ns, "moved=on")).Succeeded();

        var r = (await K("replace", "-f", file)).Failed();

        Assert.Equal(
            "Error from server (Conflict): error when replacing \"stale.json\": Operation cannot be fulfilled on configmaps \"target\": the object has been modified; please apply your changes to the latest version and try again\n",
            r.Stderr);
        Assert.Equal("2 on", await JsonPathAsync(ns, "configmap", "target", "{.data.b} {.metadata.labels.moved}"));
    }

    [Fact]
    public async Task Replace_Current_Replaced()
    {
        var ns = await WithConfigMapAsync("replace-current");
        var current = (await K("get", "configmap", "target", "-n", ns, "-o", "json")).Succeeded().Stdout;
        var file = Kubectl.WriteFile("current.json", current.Replace("\"b\": \"2\"", "\"b\": \"replaced\"", StringComparison.Ordinal));

        var r = await K("replace", "-f", file);

        Assert.Equal("configmap/target replaced\n", r.Succeeded().Stdout);
        Assert.Equal("replaced", await JsonPathAsync(ns, "configmap", "target", "{.data.b}"));
    }

    [Fact]
    public async Task Scale_Deployment()
    {
        var ns = await NamespaceAsync("scale");
        await CreateAsync(ns, Deployment);

        var r = await K("scale", "deployment", "web", "-n", ns, "--replicas=3");

        Assert.Equal("deployment.apps/web scaled\n", r.Succeeded().Stdout);
        Assert.Equal("3", await JsonPathAsync(ns, "deployment", "web", "{.spec.replicas}"));
    }

    [Fact]
    public async Task Scale_CurrentReplicasPrecondition()
    {
        var ns = await NamespaceAsync("scale-precondition");
        await CreateAsync(ns, Deployment);

        var r = (await K("scale", "deployment", "web", "-n", ns, "--current-replicas=2", "--replicas=3")).Failed();

        Assert.Equal("error: Expected replicas to be 2, was 1\n", r.Stderr);
        Assert.Equal("1", await JsonPathAsync(ns, "deployment", "web", "{.spec.replicas}"));
    }
}
