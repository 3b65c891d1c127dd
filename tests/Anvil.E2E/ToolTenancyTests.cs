using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// A tool as a tenant, with its own kubeconfig: LimitRange defaults and uid injection on its pods, the 5th pod
/// refused by its quota, <c>kubectl debug</c> under the tool pod policy, and a <c>.kube</c> symlink the
/// tool-accounts controller does not write through.
/// </summary>
public sealed class ToolTenancyTests(ToolforgeServer server) : E2ETest(server), IClassFixture<ToolforgeServer>
{
    private readonly ToolforgeServer _tf = server;

    private string ToolConfig(string tool) => Path.Combine(_tf.Homes, tool, ".kube", "config");

    private Task<KubectlResult> As(string tool, params string[] args) => K(["--kubeconfig", ToolConfig(tool), .. args]);

    private async Task<string> ToolAsync(string name)
    {
        (await _tf.AnvilAsync("admin", "tools", "create", name)).Succeeded();
        await EventuallyAsync($"{name}'s kubeconfig", () => Task.FromResult((File.Exists(ToolConfig(name)), name)), TimeSpan.FromSeconds(60));
        return (await K("get", "tool", name, "-o", "jsonpath={.spec.uid}")).Succeeded().Stdout;
    }

    [Fact]
    public async Task LimitRangeDefaultsAndTheToolsUidOnItsPodsAndTheFifthPodRefused()
    {
        var uid = await ToolAsync("kappa");
        for (var i = 1; i <= 4; i++)
            Assert.Equal($"pod/p{i} created\n", (await As("kappa", "run", $"p{i}", "--image=anvil.local/busybox", "--", "sleep", "1d")).Succeeded().Stdout);
        Assert.Equal("500m 512Mi 150m 256Mi", await JsonPathAsync("tool-kappa", "pod", "p1",
            "{.spec.containers[0].resources.limits.cpu} {.spec.containers[0].resources.limits.memory} {.spec.containers[0].resources.requests.cpu} {.spec.containers[0].resources.requests.memory}"));
        Assert.Equal("LimitRanger plugin set: cpu, memory request for container p1; cpu, memory limit for container p1",
            await JsonPathAsync("tool-kappa", "pod", "p1", "{.metadata.annotations.kubernetes\\.io/limit-ranger}"));
        Assert.Equal($"{uid} {uid} {uid} true", await JsonPathAsync("tool-kappa", "pod", "p1",
            "{.spec.securityContext.runAsUser} {.spec.securityContext.runAsGroup} {.spec.securityContext.fsGroup} {.spec.securityContext.runAsNonRoot}"));

        // The 5th: pods=4 (and limits.cpu, 4 × 500m, is full too).
        var fifth = await As("kappa", "run", "p5", "--image=anvil.local/busybox");
        Assert.Equal(1, fifth.ExitCode);
        Assert.Equal("Error from server (Forbidden): pods \"p5\" is forbidden: exceeded quota: tool-kappa, requested: limits.cpu=500m,pods=1, used: limits.cpu=2,pods=4, limited: limits.cpu=2,pods=4\n", fifth.Stderr);
        // Over the LimitRange max.
        var big = await As("kappa", "run", "big", "--image=anvil.local/busybox", "--overrides={\"spec\":{\"containers\":[{\"name\":\"big\",\"image\":\"anvil.local/busybox\",\"resources\":{\"limits\":{\"memory\":\"5Gi\"}}}]}}");
        Assert.Equal("Error from server (Forbidden): pods \"big\" is forbidden: maximum memory usage per Container is 4Gi, but limit is 5Gi\n", big.Stderr);
    }

    [Fact]
    public async Task KubectlDebugAddsAnEphemeralContainerUnderThePodPolicy()
    {
        var uid = await ToolAsync("lambda");
        (await As("lambda", "run", "web", "--image=anvil.local/busybox", "--", "sleep", "1d")).Succeeded();

        // Toolforge's tools-user role has no pods/ephemeralcontainers: a tool cannot debug.
        var denied = await As("lambda", "debug", "web", "--image=anvil.local/busybox", "-c", "dbg", "--profile=restricted");
        Assert.Equal("Error from server (Forbidden): pods \"web\" is forbidden: User \"lambda\" cannot patch resource \"pods/ephemeralcontainers\" in API group \"\" in the namespace \"tool-lambda\"\n", denied.Stderr);

        // An admin can, and the debug container is bound by the tool's policy like any other.
        (await K("debug", "web", "-n", "tool-lambda", "--image=anvil.local/busybox", "-c", "dbg", "--target=web", "--profile=restricted")).Succeeded();
        Assert.Equal($"dbg web true false [\"ALL\"] {uid}", await JsonPathAsync("tool-lambda", "pod", "web",
            "{.spec.ephemeralContainers[0].name} {.spec.ephemeralContainers[0].targetContainerName} {.spec.ephemeralContainers[0].securityContext.runAsNonRoot} {.spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation} {.spec.ephemeralContainers[0].securityContext.capabilities.drop} {.spec.securityContext.runAsUser}"));

        var sysadmin = await K("debug", "web", "-n", "tool-lambda", "--image=anvil.local/busybox", "-c", "root", "--profile=sysadmin");
        Assert.Equal(1, sysadmin.ExitCode);
        Assert.Equal("Error from server (Forbidden): pods \"web\" is forbidden: rule toolforge-validate-pod-policy failed at path /spec/ephemeralContainers/1/securityContext/privileged/: must be false\n", sysadmin.Stderr);
        var general = await K("debug", "web", "-n", "tool-lambda", "--image=anvil.local/busybox", "-c", "ptrace", "--profile=general");
        Assert.Equal("Error from server (Forbidden): pods \"web\" is forbidden: rule toolforge-validate-pod-policy failed at path /spec/ephemeralContainers/1/securityContext/capabilities/add/: must be empty, got [SYS_PTRACE]\n", general.Stderr);
        var foreign = await K("debug", "web", "-n", "tool-lambda", "--image=nginx", "-c", "nginx", "--profile=restricted");
        Assert.Equal("Error from server (Forbidden): pods \"web\" is forbidden: The following container images did not match any of the allowed registries ([anvil.local]): [Kind=/v1, Kind=Pod, Namespace=tool-lambda Name=web Image=nginx]\n", foreign.Stderr);
        var port = await KWithInput("""{"spec":{"ephemeralContainers":[{"name":"dbg","image":"anvil.local/busybox","targetContainerName":"web"},{"name":"p","image":"anvil.local/busybox","ports":[{"containerPort":80}]}]}}""",
            "patch", "pod", "web", "-n", "tool-lambda", "--subresource=ephemeralcontainers", "--type=strategic", "--patch-file=/dev/stdin");
        Assert.StartsWith("The Pod \"web\" is invalid: spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container", port.Stderr, StringComparison.Ordinal);
        Assert.Equal("dbg", await JsonPathAsync("tool-lambda", "pod", "web", "{.spec.ephemeralContainers[*].name}"));
    }

    [Fact]
    public async Task ADotKubeSymlinkedToAnotherToolIsNotWrittenThrough()
    {
        await ToolAsync("mu");
        await ToolAsync("nu");
        var nuConfig = await File.ReadAllTextAsync(ToolConfig("nu"));
        // mu replaces its .kube with a symlink to nu's, then asks for fresh credentials.
        var muKube = Path.Combine(_tf.Homes, "mu", ".kube");
        Directory.Delete(muKube, recursive: true);
        Directory.CreateSymbolicLink(muKube, Path.Combine(_tf.Homes, "nu", ".kube"));
        (await K("delete", "configmap", "maintain-kubeusers", "-n", "tool-mu")).Succeeded();

        await EventuallyAsync("mu reports the refused write", async () =>
        {
            var r = await K("get", "tool", "mu", "-o", "jsonpath={.status.conditions[0].reason} {.status.conditions[0].message}");
            return (r.Stdout == $"HomeError cannot write the credentials into {Path.Combine(_tf.Homes, "mu")}: open .kube: is not a directory (or a symbolic link)", r.ToString());
        });
        Assert.Equal(nuConfig, await File.ReadAllTextAsync(ToolConfig("nu")));
        Assert.Equal(["config"], Directory.GetFiles(Path.Combine(_tf.Homes, "nu", ".kube")).Select(Path.GetFileName));
    }
}
