using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>Deletion: by selector, cascading through ownerReferences (garbage collection), and whole namespaces.</summary>
public sealed class DeleteTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    [Fact]
    public async Task Delete_BySelector()
    {
        var ns = await NamespaceAsync("delete-selector");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: one, labels: {app: gone}}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: two, labels: {app: gone}}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: keep, labels: {app: keep}}
            """);

        var r = await K("delete", "configmaps", "-n", ns, "-l", "app=gone", "--timeout=20s");

        Assert.Equal("configmap \"one\" deleted\nconfigmap \"two\" deleted\n", r.Succeeded().Stdout);
        Assert.Equal("configmap/keep\n", (await K("get", "configmaps", "-n", ns, "-l", "app", "-o", "name")).Succeeded().Stdout);
    }

    [Fact]
    public async Task Delete_Missing_NotFound()
    {
        var ns = await NamespaceAsync("delete-missing");

        var r = (await K("delete", "configmap", "nope", "-n", ns)).Failed();

        Assert.Equal("Error from server (NotFound): configmaps \"nope\" not found\n", r.Stderr);
    }

    [Theory]
    [InlineData("background", true)]
    [InlineData("foreground", true)]
    [InlineData("orphan", false)]
    public async Task Delete_Cascade_OwnerReferences(string cascade, bool dependentDeleted)
    {
        var ns = await NamespaceAsync("delete-cascade-" + cascade);
        await CreateAsync(ns, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: owner}
            """);
        var uid = await JsonPathAsync(ns, "configmap", "owner", "{.metadata.uid}");
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: dependent
              ownerReferences:
              - apiVersion: v1
                kind: ConfigMap
                name: owner
                uid: {{uid}}
                blockOwnerDeletion: true
            """);

        var r = await K("delete", "configmap", "owner", "-n", ns, "--cascade=" + cascade, "--timeout=20s");

        Assert.Equal("configmap \"owner\" deleted\n", r.Succeeded().Stdout);
        await EventuallyGoneAsync(ns, "configmap", "owner");
        if (dependentDeleted)
        {
            await EventuallyGoneAsync(ns, "configmap", "dependent");
        }
        else
        {
            // The orphan finalizer is removed only after the dependents lost their ownerReference.
            Assert.Equal("", await JsonPathAsync(ns, "configmap", "dependent", "{.metadata.ownerReferences}"));
        }
    }

    [Fact]
    public async Task Delete_Namespace_TerminatingThenGone()
    {
        var ns = await NamespaceAsync("delete-namespace");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: plain}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: held
              finalizers: [e2e.anvil.dev/hold]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 0
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: a, image: nginx:1.27}]
            """);

        var delete = await K("delete", "namespace", ns, "--wait=false");

        Assert.Equal($"namespace \"{ns}\" deleted\n", delete.Succeeded().Stdout);
        // The finalizer on "held" keeps the namespace Terminating until the test releases it.
        Assert.Equal("Terminating", await JsonPathAsync("", "namespace", ns, "{.status.phase}"));
        var late = (await KWithInput("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: late}
            """, "create", "-n", ns, "-f", "-")).Failed();
        Assert.Equal(
            $"Error from server (Forbidden): error when creating \"STDIN\": configmaps \"late\" is forbidden: unable to create new content in namespace {ns} because it is being terminated\n",
            late.Stderr);

        // Its contents go (the finalized one only gets a deletionTimestamp).
        await EventuallyGoneAsync(ns, "configmap", "plain");
        await EventuallyGoneAsync(ns, "deployment", "web");
        await EventuallyAsync("held has a deletionTimestamp", async () =>
        {
            var r = await K("get", "configmap", "held", "-n", ns, "-o", "jsonpath={.metadata.deletionTimestamp}");
            return (r.ExitCode == 0 && r.Stdout.Length > 0, r.ToString());
        });
        Assert.Equal("Terminating", await JsonPathAsync("", "namespace", ns, "{.status.phase}"));

        (await K("patch", "configmap", "held", "-n", ns, "--type", "merge", "-p", """{"metadata":{"finalizers":null}}""")).Succeeded();

        await EventuallyGoneAsync(ns, "configmap", "held");
        await EventuallyGoneAsync("", "namespace", ns);
        var get = (await K("get", "namespace", ns)).Failed();
        Assert.Equal($"Error from server (NotFound): namespaces \"{ns}\" not found\n", get.Stderr);
    }
}
