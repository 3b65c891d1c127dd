using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>The store survives a restart of the server on the same data dir.</summary>
public sealed class PersistenceTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    [Fact]
    public async Task Restart_KeepsObjectsAndResourceVersions()
    {
        var ns = await NamespaceAsync("persist");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: kept
              labels: {app: kept}
            data: {a: "1"}
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
        (await K("label", "configmap", "kept", "-n", ns, "changed=yes")).Succeeded();
        await CreateAsync(ns, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deleted}\n");
        (await K("delete", "configmap", "deleted", "-n", ns)).Succeeded();
        const string cmFields = "{.metadata.uid} {.metadata.resourceVersion} {.metadata.creationTimestamp} {.metadata.labels} {.data}";
        const string deployFields = "{.metadata.uid} {.metadata.resourceVersion} {.spec.template.spec.containers[0].image}";
        var cmBefore = await JsonPathAsync(ns, "configmap", "kept", cmFields);
        var deployBefore = await JsonPathAsync(ns, "deployment", "web", deployFields);
        var nsBefore = await JsonPathAsync("", "namespace", ns, "{.metadata.uid} {.metadata.resourceVersion}");

        await Server.RestartAsync();

        Assert.Equal(cmBefore, await JsonPathAsync(ns, "configmap", "kept", cmFields));
        Assert.Equal(deployBefore, await JsonPathAsync(ns, "deployment", "web", deployFields));
        Assert.Equal(nsBefore, await JsonPathAsync("", "namespace", ns, "{.metadata.uid} {.metadata.resourceVersion}"));
        Assert.Equal("Error from server (NotFound): configmaps \"deleted\" not found\n", (await K("get", "configmap", "deleted", "-n", ns)).Failed().Stderr);

        // Writes continue after the restart, and resourceVersions keep increasing.
        var r = await K("label", "configmap", "kept", "-n", ns, "after=restart");
        Assert.Equal("configmap/kept labeled\n", r.Succeeded().Stdout);
        var rvBefore = long.Parse(cmBefore.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var rvAfter = long.Parse(await JsonPathAsync(ns, "configmap", "kept", "{.metadata.resourceVersion}"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(rvAfter > rvBefore, $"resourceVersion after the restart ({rvAfter}) is not above the one before ({rvBefore})");
    }
}
