using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>LimitRange defaults and limits, ResourceQuota admission and its table, as kubectl shows them.</summary>
public sealed class QuotaTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private static string Pod(string name, string resources = "{}") => $$"""
        apiVersion: v1
        kind: Pod
        metadata: {name: {{name}}}
        spec:
          containers:
          - {name: app, image: busybox, resources: {{resources}}}
        """;

    [Fact]
    public async Task LimitRange_DefaultsAppearOnThePod()
    {
        var ns = await NamespaceAsync("quota-limitrange");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: LimitRange
            metadata: {name: defaults}
            spec:
              limits:
              - type: Container
                default: {cpu: 500m, memory: 256Mi}
                defaultRequest: {cpu: 100m, memory: 128Mi}
            """);
        await CreateAsync(ns, Pod("p"));

        Assert.Equal("""{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}}""",
            await JsonPathAsync(ns, "pod", "p", "{.spec.containers[0].resources}"));
        Assert.Equal("LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app",
            await JsonPathAsync(ns, "pod", "p", "{.metadata.annotations.kubernetes\\.io/limit-ranger}"));
    }

    [Fact]
    public async Task LimitRange_MaxViolation()
    {
        var ns = await NamespaceAsync("quota-limitrange-max");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: LimitRange
            metadata: {name: max}
            spec:
              limits:
              - type: Container
                max: {cpu: "1", memory: 4Gi}
            """);

        var r = (await KWithInput(Pod("big", "{limits: {cpu: '2', memory: 8Gi}}"), "create", "-n", ns, "-f", "-")).Failed();

        Assert.Equal("Error from server (Forbidden): error when creating \"STDIN\": pods \"big\" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 4Gi, but limit is 8Gi]\n", r.Stderr);
    }

    [Fact]
    public async Task ResourceQuota_FifthPodIsRejectedAndTheTableShowsUsage()
    {
        var ns = await NamespaceAsync("quota-pods");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: ResourceQuota
            metadata: {name: pods}
            spec:
              hard: {pods: "4", limits.cpu: "2"}
            """);
        for (var i = 1; i <= 4; i++) await CreateAsync(ns, Pod($"p{i}", "{limits: {cpu: 100m}}"));

        var r = (await KWithInput(Pod("p5", "{limits: {cpu: 100m}}"), "create", "-n", ns, "-f", "-")).Failed();

        Assert.Equal("Error from server (Forbidden): error when creating \"STDIN\": pods \"p5\" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=4, limited: pods=4\n", r.Stderr);
        Table.AssertTable(await K("get", "quota", "-n", ns), ["NAME", "REQUEST", "LIMIT", "AGE"], ["pods", "pods: 4/4", "limits.cpu: 400m/2", Table.Age]);
        var describe = (await K("describe", "quota", "pods", "-n", ns)).Succeeded().Stdout;
        Assert.Contains("Resource    Used  Hard\n--------    ----  ----\nlimits.cpu  400m  2\npods        4     4\n", describe);

        // The quota controller (as system:serviceaccount:kube-system:resourcequota-controller) gives freed usage back.
        (await K("delete", "pod", "p1", "-n", ns, "--wait=false")).Succeeded();
        await EventuallyAsync("usage released", async () =>
        {
            var used = (await K("get", "quota", "pods", "-n", ns, "-o", "jsonpath={.status.used.pods}")).Succeeded().Stdout;
            return (used == "3", used);
        });
        await CreateAsync(ns, Pod("p5", "{limits: {cpu: 100m}}"));
    }

    [Fact]
    public async Task ResourceQuota_ComputeQuotaRequiresLimits()
    {
        var ns = await NamespaceAsync("quota-compute");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: ResourceQuota
            metadata: {name: compute}
            spec:
              hard: {limits.cpu: "2", limits.memory: 1Gi}
            """);

        var r = (await KWithInput(Pod("bare"), "create", "-n", ns, "-f", "-")).Failed();

        Assert.Equal("Error from server (Forbidden): error when creating \"STDIN\": pods \"bare\" is forbidden: failed quota: compute: must specify limits.cpu for: app; limits.memory for: app\n", r.Stderr);
    }
}
