using Anvil.E2E.Harness;
using Anvil.Toolforge.Accounts;

namespace Anvil.E2E;

/// <summary>
/// Toolforge's tool policies as a tool's kubectl meets them: in a namespace labelled <c>tenancy=tool</c> whose Tool
/// object exists, pods run as the tool with its home mounted, and root, privileged, hostPath and foreign-registry
/// pods and foreign ingress hosts are forbidden.
/// </summary>
public sealed class ToolPolicyTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    /// <summary>The Tool CRD (once per server), the Tool <paramref name="tool"/> and its labelled namespace.</summary>
    private async Task<string> ToolNamespaceAsync(string tool, long uid)
    {
        var crd = await KWithInput(ToolforgeCrds.Tool().ToJsonString(), "create", "-f", "-");
        if (crd.ExitCode != 0 && !crd.Stderr.Contains("(AlreadyExists)", StringComparison.Ordinal)) crd.Succeeded();
        var toolYaml = $"""
            apiVersion: toolforge.org/v1
            kind: Tool
            metadata:
              name: {tool}
            spec:
              uid: {uid}
              gid: {uid + 1}
              maintainers: [alice]
            """;
        // The CRD's resource is served once the server has established it.
        await EventuallyAsync("Tool created", async () =>
        {
            var r = await KWithInput(toolYaml, "create", "-f", "-");
            return (r.ExitCode == 0, r.ToString());
        });
        // anvil up's tool-accounts controller makes the labelled namespace for the Tool.
        var ns = "tool-" + tool;
        await EventuallyAsync("tool namespace", async () =>
        {
            var r = await K("get", "namespace", ns, "-o", "jsonpath={.metadata.labels.tenancy}");
            return (r.ExitCode == 0 && r.Stdout == "tool", r.ToString());
        });
        return ns;
    }

    [Fact]
    public async Task ForbiddenPods()
    {
        var ns = await ToolNamespaceAsync("alpha", 52001);
        string[][] runs =
        [
            ["run", "root", "--image=anvil.local/busybox", "--overrides={\"spec\":{\"securityContext\":{\"runAsUser\":0}}}"],
            ["run", "priv", "--image=anvil.local/busybox", "--privileged"],
            ["run", "logs", "--image=anvil.local/busybox", "--overrides={\"spec\":{\"volumes\":[{\"name\":\"home\",\"hostPath\":{\"path\":\"/var/log\"}}]}}"],
            ["run", "nginx", "--image=nginx"],
        ];
        string[] expected =
        [
            "Error from server (Forbidden): pods \"root\" is forbidden: rule toolforge-validate-pod-policy failed at path /spec/securityContext/runAsUser/: must be 52001 (the tool's uid), got 0",
            "Error from server (Forbidden): pods \"priv\" is forbidden: rule toolforge-validate-pod-policy failed at path /spec/containers/0/securityContext/privileged/: must be false",
            "Error from server (Forbidden): pods \"logs\" is forbidden: No hostPath volumes allowed, got one under /spec/volumes/0 Name:home HostPath:/var/log",
            "Error from server (Forbidden): pods \"nginx\" is forbidden: The following container images did not match any of the allowed registries ([anvil.local]): [Kind=/v1, Kind=Pod, Namespace=tool-alpha Name=nginx Image=nginx]",
        ];
        for (var i = 0; i < runs.Length; i++)
        {
            var r = (await K(["-n", ns, .. runs[i]])).Failed();
            Assert.Equal([expected[i]], r.StderrLines);
        }
        Assert.Equal("No resources found in tool-alpha namespace.", (await K("get", "pods", "-n", ns)).Succeeded().Stderr.Trim());

        // Toolforge's smoke test, in its Deployment form: the template is refused at once.
        var deployment = (await K("create", "deployment", "nginx", "-n", ns, "--image=nginx")).Failed();
        Assert.Equal(["error: failed to create deployment: deployments.apps \"nginx\" is forbidden: The following container images did not match any of the allowed registries ([anvil.local]): [Kind=apps/v1, Kind=Deployment, Namespace=tool-alpha Name=nginx Image=nginx]"],
            deployment.StderrLines);
    }

    [Fact]
    public async Task AToolNamespaceWithoutItsToolRunsNothing()
    {
        (await K("create", "namespace", "tool-ghost")).Succeeded();
        (await K("label", "namespace", "tool-ghost", "tenancy=tool")).Succeeded();
        var r = (await K("run", "p", "-n", "tool-ghost", "--image=anvil.local/busybox")).Failed();
        Assert.Equal(["Error from server (Forbidden): pods \"p\" is forbidden: no Tool object tools.toolforge.org/ghost for namespace tool-ghost"], r.StderrLines);
    }

    [Fact]
    public async Task ACompliantPodRunsAsTheToolWithItsHome()
    {
        var ns = await ToolNamespaceAsync("beta", 52101);
        Assert.Equal("pod/web created", (await K("run", "web", "-n", ns, "--image=anvil.local/busybox", "--", "sleep", "1d")).Succeeded().Stdout.Trim());
        Assert.Equal("52101 52102 52102 true RuntimeDefault", await JsonPathAsync(ns, "pod", "web",
            "{.spec.securityContext.runAsUser} {.spec.securityContext.runAsGroup} {.spec.securityContext.fsGroup} {.spec.securityContext.runAsNonRoot} {.spec.securityContext.seccompProfile.type}"));
        Assert.Equal("false false [\"ALL\"]", await JsonPathAsync(ns, "pod", "web",
            "{.spec.containers[0].securityContext.allowPrivilegeEscalation} {.spec.containers[0].securityContext.privileged} {.spec.containers[0].securityContext.capabilities.drop}"));
        Assert.Equal("/data/project/beta /data/project/beta", await JsonPathAsync(ns, "pod", "web",
            "{.spec.containers[0].env[?(@.name==\"HOME\")].value} {.spec.containers[0].env[?(@.name==\"TOOL_DATA_DIR\")].value}"));
        Assert.Equal("/data/project/beta Directory /data/project/beta", await JsonPathAsync(ns, "pod", "web",
            "{.spec.volumes[?(@.name==\"home\")].hostPath.path} {.spec.volumes[?(@.name==\"home\")].hostPath.type} {.spec.containers[0].volumeMounts[?(@.name==\"home\")].mountPath}"));

        // Opting out of the home mount.
        (await K("run", "bare", "-n", ns, "--image=anvil.local/busybox", "--labels=toolforge.org/mount-storage=none")).Succeeded();
        // Only the service account's token volume: no home.
        Assert.Matches("^52101 kube-api-access-[a-z0-9]{5}$", await JsonPathAsync(ns, "pod", "bare", "{.spec.securityContext.runAsUser} {.spec.volumes[*].name}"));
    }

    [Fact]
    public async Task ForeignIngressHostsAreForbidden()
    {
        var ns = await ToolNamespaceAsync("gamma", 52201);
        (await K("create", "ingress", "web", "-n", ns, "--rule=gamma.localhost/=web:8000")).Succeeded();
        var r = (await KWithInput("""
            apiVersion: networking.k8s.io/v1
            kind: Ingress
            metadata:
              name: evil
            spec:
              rules:
              - host: gamma.localhost.evil.net
                http:
                  paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: web
                        port:
                          number: 8000
            """, "create", "-n", ns, "-f", "-")).Failed();
        Assert.Equal(["Error from server (Forbidden): error when creating \"STDIN\": ingresses.networking.k8s.io \"evil\" is forbidden: Ingress host must be gamma.localhost"], r.StderrLines);
        r = (await K("create", "ingress", "other", "-n", ns, "--rule=delta.localhost/=web:8000")).Failed();
        Assert.Equal(["error: failed to create ingress: ingresses.networking.k8s.io \"other\" is forbidden: Ingress host must be gamma.localhost"], r.StderrLines);
    }
}
