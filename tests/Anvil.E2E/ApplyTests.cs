using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary><c>kubectl apply</c>: client-side (three-way strategic merge) and server-side (field managers, conflicts).</summary>
public sealed class ApplyTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    [Fact]
    public async Task ClientSide_CreatedUnchangedConfigured()
    {
        var ns = await NamespaceAsync("apply-csa");
        var v1 = Kubectl.WriteFile("v1.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: applied
            data:
              a: "1"
              b: "2"
            """);
        var v2 = Kubectl.WriteFile("v2.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: applied
            data:
              a: "1"
              c: "3"
            """);

        var created = await K("apply", "-n", ns, "-f", v1);
        var unchanged = await K("apply", "-n", ns, "-f", v1);
        var configured = await K("apply", "-n", ns, "-f", v2);

        Assert.Equal("configmap/applied created\n", created.Succeeded().Stdout);
        Assert.Equal("configmap/applied unchanged\n", unchanged.Succeeded().Stdout);
        Assert.Equal("configmap/applied configured\n", configured.Succeeded().Stdout);
        Assert.Equal("""{"a":"1","c":"3"}""", await JsonPathAsync(ns, "configmap", "applied", "{.data}"));
        Assert.Equal(
            $$$"""{"apiVersion":"v1","data":{"a":"1","c":"3"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"applied","namespace":"{{{ns}}}"}}""" + "\n",
            await JsonPathAsync(ns, "configmap", "applied", @"{.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration}"));
    }

    private const string DeploymentV1 = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: merged
        spec:
          replicas: 0
          selector:
            matchLabels: {app: merged}
          template:
            metadata:
              labels: {app: merged}
            spec:
              containers:
              - name: a
                image: nginx:1.0
                ports:
                - containerPort: 80
              - name: b
                image: busybox:1.36
                command: ["sleep", "3600"]
        """;

    private const string DeploymentV2 = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: merged
        spec:
          replicas: 0
          selector:
            matchLabels: {app: merged}
          template:
            metadata:
              labels: {app: merged}
            spec:
              containers:
              - name: a
                image: nginx:2.0
                ports:
                - containerPort: 80
        """;

    [Fact]
    public async Task ClientSide_Deployment_ContainerListMergedByName()
    {
        var ns = await NamespaceAsync("apply-list-merge");
        var v1 = Kubectl.WriteFile("v1.yaml", DeploymentV1);
        var v2 = Kubectl.WriteFile("v2.yaml", DeploymentV2);
        const string containers = "{range .spec.template.spec.containers[*]}{.name}={.image} env={.env[*].name};{end}";

        Assert.Equal("deployment.apps/merged created\n", (await K("apply", "-n", ns, "-f", v1)).Succeeded().Stdout);
        // A change made outside the manifest: the three-way merge must keep it.
        var patched = await K("patch", "deployment", "merged", "-n", ns, "--type", "strategic", "-p",
            """{"spec":{"template":{"spec":{"containers":[{"name":"a","env":[{"name":"FROM_PATCH","value":"1"}]}]}}}}""");
        Assert.Equal("deployment.apps/merged patched\n", patched.Succeeded().Stdout);
        Assert.Equal("a=nginx:1.0 env=FROM_PATCH;b=busybox:1.36 env=;", await JsonPathAsync(ns, "deployment", "merged", containers));

        var configured = await K("apply", "-n", ns, "-f", v2);

        Assert.Equal("deployment.apps/merged configured\n", configured.Succeeded().Stdout);
        Assert.Equal("a=nginx:2.0 env=FROM_PATCH;", await JsonPathAsync(ns, "deployment", "merged", containers));
        Assert.Equal("80", await JsonPathAsync(ns, "deployment", "merged", "{.spec.template.spec.containers[0].ports[*].containerPort}"));
    }

    [Fact]
    public async Task ServerSide_CreatesThenUpdates()
    {
        var ns = await NamespaceAsync("apply-ssa");
        var v1 = Kubectl.WriteFile("v1.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: ssa
            data:
              a: "1"
              b: "2"
            """);
        var v2 = Kubectl.WriteFile("v2.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: ssa
            data:
              a: "10"
            """);

        var created = await K("apply", "--server-side", "-n", ns, "-f", v1);
        var updated = await K("apply", "--server-side", "-n", ns, "-f", v2);

        Assert.Equal("configmap/ssa serverside-applied\n", created.Succeeded().Stdout);
        Assert.Equal("configmap/ssa serverside-applied\n", updated.Succeeded().Stdout);
        // b was owned only by this manager and is no longer applied: it is removed.
        Assert.Equal("""{"a":"10"}""", await JsonPathAsync(ns, "configmap", "ssa", "{.data}"));
        Assert.Equal("kubectl Apply", await JsonPathAsync(ns, "configmap", "ssa", "{range .metadata.managedFields[*]}{.manager} {.operation}{end}"));
    }

    [Fact]
    public async Task ServerSide_ConflictWithClientSideApply_ThenForceConflicts()
    {
        var ns = await NamespaceAsync("apply-ssa-conflict");
        var csa = Kubectl.WriteFile("csa.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: shared
            data:
              key: one
            """);
        var ssa = Kubectl.WriteFile("ssa.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: shared
            data:
              key: two
            """);
        (await K("apply", "-n", ns, "-f", csa)).Succeeded();

        var conflict = (await K("apply", "--server-side", "-n", ns, "-f", ssa)).Failed();

        Assert.Equal(1, conflict.ExitCode);
        Assert.Equal("error: Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .data.key", conflict.StderrLines.FirstOrDefault());
        Assert.Contains("Please review the fields above--they currently have other managers.", conflict.Stderr, StringComparison.Ordinal);
        Assert.Equal("one", await JsonPathAsync(ns, "configmap", "shared", "{.data.key}"));

        var forced = await K("apply", "--server-side", "--force-conflicts", "-n", ns, "-f", ssa);

        Assert.Equal("configmap/shared serverside-applied\n", forced.Succeeded().Stdout);
        Assert.Equal("two", await JsonPathAsync(ns, "configmap", "shared", "{.data.key}"));
    }
}
