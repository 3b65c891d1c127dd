using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// Toolforge's tool accounts end to end: <c>anvil admin tools/users/quotas</c> against an <c>anvil up</c> with
/// temporary homes, checked with the real kubectl using the kubeconfigs the tool-accounts controller writes.
/// </summary>
public sealed class ToolAccountTests(ToolforgeServer server) : E2ETest(server), IClassFixture<ToolforgeServer>
{
    private readonly ToolforgeServer _tf = server;

    private string ToolConfig(string tool) => Path.Combine(_tf.Homes, tool, ".kube", "config");

    private string UserConfig(string user) => Path.Combine(_tf.UsersHome, user, ".kube", "config");

    [Fact]
    public async Task ToolKubeconfigReachesOnlyItsOwnNamespace()
    {
        (await AnvilAsync("admin", "tools", "create", "alpha", "--maintainer", "bob")).Succeeded();
        (await AnvilAsync("admin", "tools", "create", "beta")).Succeeded();
        await WaitForFileAsync(ToolConfig("alpha"));
        await WaitForFileAsync(ToolConfig("beta"));

        var home = Path.Combine(_tf.Homes, "alpha");
        Assert.Equal((UnixFileMode)0b010_111_111_101, File.GetUnixFileMode(home) & (UnixFileMode)0b111_111_111_111);
        Assert.True(Directory.Exists(Path.Combine(home, "logs")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ToolConfig("alpha")));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(Path.Combine(home, ".toolskube", "client.key")));
        var config = await File.ReadAllTextAsync(ToolConfig("alpha"));
        Assert.Contains("current-context: toolforge\n", config, StringComparison.Ordinal);
        Assert.Contains("    namespace: tool-alpha\n", config, StringComparison.Ordinal);
        Assert.Contains("- name: tf-alpha\n", config, StringComparison.Ordinal);

        var own = await As(ToolConfig("alpha"), "get", "pods");
        Assert.Equal(0, own.ExitCode);
        Assert.Equal("No resources found in tool-alpha namespace.\n", own.Stderr);

        var list = await As(ToolConfig("alpha"), "get", "pods", "-n", "tool-beta");
        Assert.Equal(1, list.ExitCode);
        Assert.Equal("Error from server (Forbidden): pods is forbidden: User \"alpha\" cannot list resource \"pods\" in API group \"\" in the namespace \"tool-beta\"\n", list.Stderr);
        var get = await As(ToolConfig("alpha"), "get", "pod", "x", "-n", "tool-beta");
        Assert.Equal("Error from server (Forbidden): pods \"x\" is forbidden: User \"alpha\" cannot get resource \"pods\" in API group \"\" in the namespace \"tool-beta\"\n", get.Stderr);
        var delete = await As(ToolConfig("alpha"), "delete", "pod", "x", "-n", "tool-beta");
        Assert.Equal("Error from server (Forbidden): pods \"x\" is forbidden: User \"alpha\" cannot delete resource \"pods\" in API group \"\" in the namespace \"tool-beta\"\n", delete.Stderr);

        // The namespace, quota and LimitRange maintain-kubeusers creates.
        Assert.Equal("tool-alpha tool", await JsonPathAsync("", "namespace", "tool-alpha", "{.metadata.labels.name} {.metadata.labels.tenancy}"));
        Assert.Equal("4 8Gi 6Gi 0", await JsonPathAsync("tool-alpha", "resourcequota", "tool-alpha", "{.spec.hard.pods} {.spec.hard.limits\\.memory} {.spec.hard.requests\\.memory} {.spec.hard.services\\.nodeports}"));
        Assert.Equal("500m 150m 1 50m", await JsonPathAsync("tool-alpha", "limitrange", "tool-alpha", "{.spec.limits[0].default.cpu} {.spec.limits[0].defaultRequest.cpu} {.spec.limits[0].max.cpu} {.spec.limits[0].min.cpu}"));
        Assert.Equal("tools-user", await JsonPathAsync("tool-alpha", "rolebinding", "alpha-tool-binding", "{.roleRef.name}"));
        var uid = (await K("get", "tool", "alpha", "-o", "jsonpath={.spec.uid}")).Succeeded().Stdout;
        Assert.True(long.Parse(uid, System.Globalization.CultureInfo.InvariantCulture) >= 50000, uid);
        await EventuallyAsync("alpha listed as Ready", async () =>
        {
            var r = (await AnvilAsync("admin", "tools", "list")).Succeeded();
            return (new Regex($@"^alpha\s+{uid}\s+{uid}\s+Ready\s+bob\s+\d{{4}}-", RegexOptions.Multiline).IsMatch(r.Stdout), r.ToString());
        });
    }

    [Fact]
    public async Task DeletingTheMarkerConfigMapIssuesFreshCredentials()
    {
        (await AnvilAsync("admin", "tools", "create", "gamma")).Succeeded();
        await WaitForFileAsync(ToolConfig("gamma"));
        var before = ClientCert(await File.ReadAllTextAsync(ToolConfig("gamma")));
        Assert.StartsWith("user created: ", await JsonPathAsync("tool-gamma", "configmap", "maintain-kubeusers", "{.data.status}"), StringComparison.Ordinal);

        (await K("delete", "configmap", "maintain-kubeusers", "-n", "tool-gamma")).Succeeded();
        await EventuallyAsync("a new certificate in gamma's kubeconfig", async () =>
        {
            var now = File.Exists(ToolConfig("gamma")) ? ClientCert(await File.ReadAllTextAsync(ToolConfig("gamma"))) : "";
            return (now.Length > 0 && now != before, now);
        });
        await EventuallyAsync("the marker is back", async () =>
        {
            var r = await K("get", "configmap", "maintain-kubeusers", "-n", "tool-gamma", "-o", "name");
            return (r.ExitCode == 0, r.ToString());
        });
        var own = await As(ToolConfig("gamma"), "get", "pods");
        Assert.Equal(0, own.ExitCode);
    }

    [Fact]
    public async Task DisableRevokesAccessAndStopsWorkloadsEnableRestores()
    {
        (await AnvilAsync("admin", "tools", "create", "delta")).Succeeded();
        await WaitForFileAsync(ToolConfig("delta"));
        // Within the tool's quota of 4 pods: web's one, the job's, the ReplicaSet's (no owner) and the bare pod. The
        // cronjob must not fire meanwhile (every 5 minutes, it once took the bare pod's place at a :x5 boundary).
        (await As(ToolConfig("delta"), "create", "deployment", "web", "--image=anvil.local/busybox")).Succeeded();
        (await As(ToolConfig("delta"), "create", "cronjob", "tick", "--image=anvil.local/busybox", "--schedule=0 0 1 1 *", "--", "true")).Succeeded();
        (await As(ToolConfig("delta"), "create", "job", "batch", "--image=anvil.local/busybox", "--", "sleep", "1d")).Succeeded();
        (await KWithInput("""
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata: {name: rs, namespace: tool-delta}
            spec:
              replicas: 1
              selector: {matchLabels: {app: rs}}
              template:
                metadata: {labels: {app: rs}}
                spec: {containers: [{name: rs, image: anvil.local/busybox, args: [sleep, 1d]}]}
            """, "create", "-f", "-")).Succeeded();
        (await As(ToolConfig("delta"), "run", "bare", "--image=anvil.local/busybox", "--", "sleep", "1d")).Succeeded();
        await EventuallyAsync("the job's pod", async () =>
        {
            var r = await K("get", "pods", "-n", "tool-delta", "-l", "job-name=batch", "-o", "name");
            return (r.Stdout.StartsWith("pod/batch-", StringComparison.Ordinal), r.ToString());
        });

        var disable = (await AnvilAsync("admin", "tools", "disable", "delta")).Succeeded();
        Assert.Equal("tool \"delta\" disabled: its access is revoked and its workloads are stopped (objects are kept; pods without a controller are deleted)\n", disable.Stdout);
        // At once: the tool's certificate is still valid, but the command returned only once it is refused.
        var refused = await As(ToolConfig("delta"), "get", "pods");
        Assert.Equal("Error from server (Forbidden): pods is forbidden: User \"delta\" cannot list resource \"pods\" in API group \"\" in the namespace \"tool-delta\"\n", refused.Stderr);
        var delete = await As(ToolConfig("delta"), "delete", "deployment", "web");
        Assert.Equal("Error from server (Forbidden): deployments.apps \"web\" is forbidden: User \"delta\" cannot delete resource \"deployments\" in API group \"apps\" in the namespace \"tool-delta\"\n", delete.Stderr);

        await EventuallyAsync("workloads stopped", async () =>
        {
            var state = (await K("get", "deployment/web", "replicaset/rs", "cronjob/tick", "job/batch", "-n", "tool-delta", "-o",
                "jsonpath={range .items[*]}{.kind}={.spec.replicas}{.spec.suspend} {end}")).Stdout;
            return (state == "Deployment=0 ReplicaSet=0 CronJob=true Job=true ", state);
        });
        Assert.Equal("1 1", await JsonPathAsync("tool-delta", "deployment", "web", "{.metadata.annotations.toolforge\\.org/disabled-replicas}") + " "
            + await JsonPathAsync("tool-delta", "replicaset", "rs", "{.metadata.annotations.toolforge\\.org/disabled-replicas}"));
        // The bare pod cannot be suspended: deleted, and said so. The suspended Job's pod is removed by the Job controller.
        await EventuallyGoneAsync("tool-delta", "pod", "bare");
        await EventuallyAsync("no job pods", async () =>
        {
            var r = await K("get", "pods", "-n", "tool-delta", "-l", "job-name=batch", "-o", "name");
            return (r.ExitCode == 0 && r.Stdout.Length == 0, r.ToString());
        });
        Assert.Equal("Disabled the tool is disabled: its access is revoked and its workloads are stopped; bare pods deleted (they cannot be suspended): bare",
            (await K("get", "tool", "delta", "-o", "jsonpath={.status.conditions[0].reason} {.status.conditions[0].message}")).Succeeded().Stdout);
        Assert.Equal("Normal tool disabled: deleted pods without a controller in tool-delta (they cannot be suspended and are not restored on enable): bare",
            (await K("get", "events", "-n", "default", "--field-selector", "involvedObject.name=delta,reason=BarePodsDeleted", "-o", "jsonpath={.items[0].type} {.items[0].message}")).Succeeded().Stdout);
        // Nothing else was deleted.
        Assert.Equal("deployment.apps/web replicaset.apps/rs cronjob.batch/tick job.batch/batch",
            string.Join(' ', (await K("get", "deployment/web", "replicaset/rs", "cronjob/tick", "job/batch", "-n", "tool-delta", "-o", "name")).Succeeded().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)));

        (await AnvilAsync("admin", "tools", "enable", "delta")).Succeeded();
        await EventuallyAsync("workloads restored", async () =>
        {
            var state = (await K("get", "deployment/web", "replicaset/rs", "cronjob/tick", "job/batch", "-n", "tool-delta", "-o",
                "jsonpath={range .items[*]}{.kind}={.spec.replicas}{.spec.suspend} {end}")).Stdout;
            return (state == "Deployment=1 ReplicaSet=1 CronJob=false Job=false ", state);
        });
        await EventuallyAsync("delta allowed again", async () =>
        {
            var r = await As(ToolConfig("delta"), "get", "deployments");
            return (r.ExitCode == 0 && r.Stdout.Contains("web", StringComparison.Ordinal), r.ToString());
        });
        Assert.Equal("", await JsonPathAsync("", "namespace", "tool-delta", "{.metadata.annotations.toolforge\\.org/disabled-deleted-pods}"));
    }

    [Fact]
    public async Task QuotaOverrideIsAppliedOncePerVersion()
    {
        (await AnvilAsync("admin", "tools", "create", "epsilon")).Succeeded();
        await WaitForFileAsync(ToolConfig("epsilon"));
        var file = Path.Combine(Kubectl.WorkDir, "overrides.yaml");
        await File.WriteAllTextAsync(file, "overrides:\n  epsilon: {version: T100, cpu: 4, memory: 16, pods: 25, pod_memory: 8}\n");
        Assert.Equal("tool \"epsilon\": quota override T100 applied\n", (await AnvilAsync("admin", "quotas", "apply", "-f", file)).Succeeded().Stdout);
        Assert.Equal("25 16Gi 8Gi 4 4 T100", await JsonPathAsync("tool-epsilon", "resourcequota", "tool-epsilon",
            "{.spec.hard.pods} {.spec.hard.limits\\.memory} {.spec.hard.requests\\.memory} {.spec.hard.limits\\.cpu} {.spec.hard.requests\\.cpu} {.metadata.annotations.toolforge\\.org/quota-version}"));
        Assert.Equal("1 8Gi", await JsonPathAsync("tool-epsilon", "limitrange", "tool-epsilon", "{.spec.limits[0].max.cpu} {.spec.limits[0].max.memory}"));

        // Changed by hand: the same version is not applied again...
        (await K("patch", "resourcequota", "tool-epsilon", "-n", "tool-epsilon", "--type=merge", "-p", "{\"spec\":{\"hard\":{\"pods\":\"7\"}}}")).Succeeded();
        Assert.Equal("tool \"epsilon\": quota override T100 already applied, unchanged\n", (await AnvilAsync("admin", "quotas", "apply", "-f", file)).Succeeded().Stdout);
        Assert.Equal("7", await JsonPathAsync("tool-epsilon", "resourcequota", "tool-epsilon", "{.spec.hard.pods}"));
        // ...a new version is.
        await File.WriteAllTextAsync(file, "overrides:\n  epsilon: {version: T100-2, cpu: 4, memory: 16, pods: 25, pod_memory: 8}\n");
        Assert.Equal("tool \"epsilon\": quota override T100-2 applied\n", (await AnvilAsync("admin", "quotas", "apply", "-f", file)).Succeeded().Stdout);
        Assert.Equal("25", await JsonPathAsync("tool-epsilon", "resourcequota", "tool-epsilon", "{.spec.hard.pods}"));

        await File.WriteAllTextAsync(file, "overrides:\n  nosuchtool: {version: T1, pods: 5}\n");
        var unknown = await AnvilAsync("admin", "quotas", "apply", "-f", file);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("anvil: tool \"nosuchtool\" not found\n", unknown.Stderr);
    }

    [Fact]
    public async Task ObserverTokenReadsEverythingButSecrets()
    {
        (await AnvilAsync("admin", "tools", "create", "zeta")).Succeeded();
        await WaitForFileAsync(ToolConfig("zeta"));
        var observer = (await AnvilAsync("admin", "tools", "observer", "zeta")).Succeeded();
        Assert.Contains("kubectl create token zeta-obs -n tool-zeta", observer.Stdout, StringComparison.Ordinal);
        Assert.Equal("tool-observer", await JsonPathAsync("", "clusterrolebinding", "zeta-obs", "{.metadata.labels.tool\\.toolforge\\.org/name}"));
        var token = (await K("create", "token", "zeta-obs", "-n", "tool-zeta")).Succeeded().Stdout.Trim();
        string[] auth = ["--kubeconfig", "/dev/null", "--server", Server.Url, "--certificate-authority", Path.Combine(Server.DataDir, "pki", "ca.crt"), "--token", token];

        var pods = await K([.. auth, "get", "pods", "-A"]);
        Assert.Equal(0, pods.ExitCode);
        var ns = await K([.. auth, "get", "namespaces", "-o", "name"]);
        Assert.Contains("namespace/tool-zeta\n", ns.Stdout, StringComparison.Ordinal);
        var secrets = await K([.. auth, "get", "secrets", "-n", "tool-zeta"]);
        Assert.Equal("Error from server (Forbidden): secrets is forbidden: User \"system:serviceaccount:tool-zeta:zeta-obs\" cannot list resource \"secrets\" in API group \"\" in the namespace \"tool-zeta\"\n", secrets.Stderr);
    }

    [Fact]
    public async Task KubectlSudoWorksForAdminsOnly()
    {
        (await AnvilAsync("admin", "users", "add", "taavi", "--admin")).Succeeded();
        (await AnvilAsync("admin", "users", "add", "mallory")).Succeeded();
        await WaitForFileAsync(UserConfig("taavi"));
        await WaitForFileAsync(UserConfig("mallory"));
        (await K("create", "namespace", "sudo-test")).Succeeded();
        (await K("create", "secret", "generic", "s", "-n", "sudo-test", "--from-literal=a=b")).Succeeded();

        var plain = await Sh(UserConfig("taavi"), "get", "secrets", "-n", "sudo-test");
        Assert.Equal("Error from server (Forbidden): secrets is forbidden: User \"taavi\" cannot list resource \"secrets\" in API group \"\" in the namespace \"sudo-test\"\n", plain.Stderr);
        var view = await Sh(UserConfig("taavi"), "get", "configmaps", "-n", "sudo-test", "-o", "name");
        Assert.Equal(0, view.ExitCode);
        var sudo = await Sh(UserConfig("taavi"), "sudo", "get", "secrets", "-n", "sudo-test", "-o", "name");
        Assert.Equal((0, "secret/s\n"), (sudo.ExitCode, sudo.Stdout));

        var refused = await Sh(UserConfig("mallory"), "sudo", "get", "secrets", "-n", "sudo-test");
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal("Error from server (Forbidden): users \"mallory\" is forbidden: User \"mallory\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope\n", refused.Stderr);

        // Removing the user removes the admin bindings.
        (await AnvilAsync("admin", "users", "remove", "taavi")).Succeeded();
        await EventuallyGoneAsync("", "clusterrolebinding", "taavi-binding");
        await EventuallyGoneAsync("", "clusterrolebinding", "taavi-view-binding");
    }

    [Fact]
    public async Task DeleteRemovesTheNamespaceAndKeepsTheHome()
    {
        (await AnvilAsync("admin", "tools", "create", "eta")).Succeeded();
        (await AnvilAsync("admin", "tools", "create", "theta")).Succeeded();
        await WaitForFileAsync(ToolConfig("eta"));
        await WaitForFileAsync(ToolConfig("theta"));
        Assert.Equal("tool \"eta\" deleted (namespace tool-eta is being removed; home kept)\n", (await AnvilAsync("admin", "tools", "delete", "eta")).Succeeded().Stdout);
        (await AnvilAsync("admin", "tools", "delete", "theta", "--purge-home")).Succeeded();
        await EventuallyGoneAsync("", "tool", "eta");
        await EventuallyGoneAsync("", "namespace", "tool-eta");
        await EventuallyGoneAsync("", "tool", "theta");
        Assert.True(File.Exists(ToolConfig("eta")));
        Assert.False(Directory.Exists(Path.Combine(_tf.Homes, "theta")));
    }

    [Theory]
    [InlineData(new[] { "admin", "tools", "disable", "nosuch" }, "anvil: tool \"nosuch\" not found\n")]
    [InlineData(new[] { "admin", "tools", "create", "Bad_Name" }, "anvil: invalid name \"Bad_Name\": must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')\n")]
    [InlineData(new[] { "admin", "tools", "create", "a123456789a123456789a123456789a123456789a123456789abcd" }, "anvil: invalid name \"a123456789a123456789a123456789a123456789a123456789abcd\": must be shorter than 54 characters\n")]
    [InlineData(new[] { "admin", "tools", "frobnicate" }, "anvil: unknown command \"frobnicate\" for \"anvil admin tools\"\nadmin tools needs a subcommand: create NAME [--maintainer USER]... [--uid N] [--gid N] | list | disable NAME | enable NAME | delete NAME [--purge-home] | observer NAME\n")]
    public async Task ClearErrors(string[] args, string stderr)
    {
        var r = await AnvilAsync(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(stderr, r.Stderr);
    }

    [Fact]
    public async Task BecomeRunsAsTheToolForRootAndMaintainersOnly()
    {
        (await AnvilAsync("admin", "tools", "create", "iota", "--maintainer", "bob")).Succeeded();
        await WaitForFileAsync(ToolConfig("iota"));
        var uid = (await K("get", "tool", "iota", "-o", "jsonpath={.spec.uid}")).Succeeded().Stdout;
        var asBob = await AnvilAsync(new Dictionary<string, string> { ["SUDO_USER"] = "bob" }, "become", "iota", "--", "sh", "-c", "id -u; echo $HOME; grep -c 'namespace: tool-iota' \"$KUBECONFIG\"");
        Assert.Equal((0, $"{uid}\n{Path.Combine(_tf.Homes, "iota")}\n1\n"), (asBob.ExitCode, asBob.Stdout));
        var asCarol = await AnvilAsync(new Dictionary<string, string> { ["SUDO_USER"] = "carol" }, "become", "iota", "id");
        Assert.Equal((2, "anvil: user \"carol\" is not a maintainer of tool \"iota\" (maintainers: bob)\n"), (asCarol.ExitCode, asCarol.Stderr));
    }

    // ---------------------------------------------------------------- helpers

    private Task<KubectlResult> As(string kubeconfig, params string[] args) => K(["--kubeconfig", kubeconfig, .. args]);

    private static string ClientCert(string kubeconfig) =>
        kubeconfig.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("client-certificate-data: ", StringComparison.Ordinal)) ?? "";

    private static Task WaitForFileAsync(string path) =>
        EventuallyAsync($"{path} written", () => Task.FromResult((File.Exists(path), path)), TimeSpan.FromSeconds(60));

    private Task<KubectlResult> AnvilAsync(params string[] args) => _tf.AnvilAsync(args);

    private Task<KubectlResult> AnvilAsync(Dictionary<string, string> env, params string[] args) => _tf.AnvilAsync(env, args);

    /// <summary>kubectl (with plugins from the data dir's bin) under KUBECONFIG, as a user's shell runs it.</summary>
    private async Task<KubectlResult> Sh(string kubeconfig, params string[] args)
    {
        var psi = new ProcessStartInfo(Kubectl.Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Kubectl.WorkDir };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["KUBECONFIG"] = kubeconfig;
        psi.Environment["HOME"] = Path.Combine(Kubectl.WorkDir, "home");
        psi.Environment["KUBECACHEDIR"] = Path.Combine(Kubectl.WorkDir, "cache");
        psi.Environment["PATH"] = Path.Combine(Server.DataDir, "bin") + ":" + Path.GetDirectoryName(Kubectl.Executable) + ":/usr/bin:/bin";
        psi.Environment["LANG"] = "C";
        return await ToolforgeServer.RunAsync(psi, "kubectl " + string.Join(' ', args));
    }
}
