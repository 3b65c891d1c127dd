using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// Deployments through kubectl, served by the ReplicaSet and Deployment controllers. There is no node agent
/// yet, so pods stay Pending; where a step needs ready pods, the test writes the pod status a kubelet would
/// (simulated kubelet status) through the API.
/// </summary>
public sealed class WorkloadTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private async Task<string[]> NamesAsync(string ns, string resource, string? selector = null)
    {
        var args = new List<string> { "get", resource, "-n", ns, "-o", "name" };
        if (selector != null) args.AddRange(["-l", selector]);
        return (await K([.. args])).Succeeded().StdoutLines;
    }

    private async Task<JsonArray> ItemsAsync(string ns, string resource) =>
        (JsonNode.Parse((await K("get", resource, "-n", ns, "-o", "json")).Succeeded().Stdout)!["items"] as JsonArray)!;

    private async Task<string> StateAsync(string ns) =>
        (await K("get", "deploy,rs,pods", "-n", ns, "-o", "wide")).ToString();

    /// <summary>Simulated kubelet status: every pod not yet ready becomes Running and Ready with an IP.</summary>
    private async Task SimulatedKubeletReadyAllAsync(string ns)
    {
        var i = 0;
        foreach (var pod in (await ItemsAsync(ns, "pods")).OfType<JsonObject>())
        {
            i++;
            var ready = (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Any(c => (string?)c["type"] == "Ready" && (string?)c["status"] == "True");
            if (ready || pod["metadata"]?["deletionTimestamp"] != null) continue;
            var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            var ip = $"10.244.0.{i}";
            var patch = $$$"""
                {"status":{"phase":"Running","podIP":"{{{ip}}}","podIPs":[{"ip":"{{{ip}}}"}],
                 "conditions":[{"type":"Ready","status":"True","lastTransitionTime":"{{{now}}}"}]} }
                """;
            var r = await Api.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/pods/{pod["metadata"]!["name"]}/status",
                Encoding.UTF8.GetBytes(patch), "application/merge-patch+json");
            Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.NotFound, r.ToString());
        }
    }

    /// <summary><c>kubectl rollout status</c> while the simulated kubelet makes new pods ready.</summary>
    private async Task<KubectlResult> RolloutStatusAsync(string ns)
    {
        var status = K("rollout", "status", "deployment/web", "-n", ns, "--timeout=40s");
        var deadline = DateTime.UtcNow + EventualTimeout * 2;
        while (!status.IsCompleted && DateTime.UtcNow < deadline)
        {
            await SimulatedKubeletReadyAllAsync(ns);
            await Task.WhenAny(status, Task.Delay(300));
        }
        return await status;
    }

    private async Task<int> SpecReplicasAsync(string ns, string rs) =>
        int.Parse(await JsonPathAsync(ns, "rs", rs, "{.spec.replicas}"), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Deployment_CreateScaleSetImageRolloutUndoRestartDelete()
    {
        var ns = await NamespaceAsync("workload-deploy");

        Assert.Equal("deployment.apps/web created\n", (await K("create", "deployment", "web", "--image=busybox", "--replicas=2", "-n", ns)).Succeeded().Stdout);
        await EventuallyAsync("1 replica set with 2 pods", async () =>
            ((await NamesAsync(ns, "rs")).Length == 1 && (await NamesAsync(ns, "pods")).Length == 2, await StateAsync(ns)));
        var firstRs = (await NamesAsync(ns, "rs"))[0]["replicaset.apps/".Length..];
        var hash = await JsonPathAsync(ns, "rs", firstRs, "{.metadata.labels.pod-template-hash}");
        Assert.Equal($"web-{hash}", firstRs);
        Assert.All(await NamesAsync(ns, "pods"), p => Assert.StartsWith($"pod/{firstRs}-", p));

        Assert.Equal("deployment.apps/web scaled\n", (await K("scale", "deploy", "web", "--replicas=3", "-n", ns)).Succeeded().Stdout);
        await EventuallyAsync("3 pods", async () => ((await NamesAsync(ns, "pods")).Length == 3, await StateAsync(ns)));

        var rollout = await RolloutStatusAsync(ns);
        Assert.EndsWith("deployment \"web\" successfully rolled out\n", rollout.Succeeded().Stdout);
        Assert.Equal("1", await JsonPathAsync(ns, "deploy", "web", "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"));

        Assert.Equal("deployment.apps/web image updated\n", (await K("set", "image", "deploy/web", "busybox=busybox:1.36", "-n", ns)).Succeeded().Stdout);
        // Until a new pod is available the old replica set keeps all 3 (maxUnavailable 25% of 3 rounds to 0).
        await EventuallyAsync("new replica set surging", async () =>
            ((await NamesAsync(ns, "rs")).Length == 2 && await SpecReplicasAsync(ns, firstRs) == 3
             && (await K("get", "pods", "-n", ns, "-o", "name")).Succeeded().StdoutLines.Length == 4, await StateAsync(ns)));
        rollout = await RolloutStatusAsync(ns);
        Assert.EndsWith("deployment \"web\" successfully rolled out\n", rollout.Succeeded().Stdout);
        Assert.Equal(0, await SpecReplicasAsync(ns, firstRs));
        Assert.Equal("2", await JsonPathAsync(ns, "deploy", "web", "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"));

        Assert.Equal("deployment.apps/web rolled back\n", (await K("rollout", "undo", "deploy/web", "-n", ns)).Succeeded().Stdout);
        rollout = await RolloutStatusAsync(ns);
        Assert.EndsWith("deployment \"web\" successfully rolled out\n", rollout.Succeeded().Stdout);
        Assert.Equal(3, await SpecReplicasAsync(ns, firstRs));
        Assert.Equal("3", await JsonPathAsync(ns, "rs", firstRs, "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"));
        Assert.Equal("busybox", await JsonPathAsync(ns, "deploy", "web", "{.spec.template.spec.containers[0].image}"));

        Assert.Equal("deployment.apps/web restarted\n", (await K("rollout", "restart", "deploy/web", "-n", ns)).Succeeded().Stdout);
        rollout = await RolloutStatusAsync(ns);
        Assert.EndsWith("deployment \"web\" successfully rolled out\n", rollout.Succeeded().Stdout);
        Assert.Equal(3, (await NamesAsync(ns, "rs")).Length);
        Assert.Equal(0, await SpecReplicasAsync(ns, firstRs));

        var history = (await K("rollout", "history", "deploy/web", "-n", ns)).Succeeded().Stdout;
        Assert.Contains("REVISION  CHANGE-CAUSE", history);
        Assert.Contains("4         <none>", history);

        Assert.Equal("deployment.apps \"web\" deleted\n", (await K("delete", "deploy", "web", "-n", ns)).Succeeded().Stdout);
        await EventuallyAsync("replica sets and pods collected", async () =>
            ((await NamesAsync(ns, "rs")).Length == 0 && (await NamesAsync(ns, "pods")).Length == 0, await StateAsync(ns)));
    }

    [Fact]
    public async Task ReplicaSet_Events_ShownByDescribe()
    {
        var ns = await NamespaceAsync("workload-events");
        await CreateAsync(ns, """
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata: {name: web}
            spec:
              replicas: 1
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: c, image: busybox}]}
            """);

        await EventuallyAsync("SuccessfulCreate event", async () =>
        {
            var r = await K("get", "events", "-n", ns, "-o", "custom-columns=REASON:.reason,SOURCE:.source.component,MSG:.message", "--no-headers");
            return (r.Stdout.Contains("SuccessfulCreate   replicaset-controller   Created pod: web-", StringComparison.Ordinal), r.ToString());
        });
        var describe = (await K("describe", "rs", "web", "-n", ns)).Succeeded().Stdout;
        Assert.Contains("Normal  SuccessfulCreate", describe);
        Assert.Contains("replicaset-controller  Created pod: web-", describe);
    }

    [Fact]
    public async Task Service_Endpoints_FollowReadyPods()
    {
        var ns = await NamespaceAsync("workload-endpoints");
        (await K("create", "deployment", "web", "--image=busybox", "--replicas=2", "--port=8080", "-n", ns)).Succeeded();
        (await K("expose", "deployment", "web", "--port=80", "--target-port=8080", "-n", ns)).Succeeded();
        await EventuallyAsync("2 pods", async () => ((await NamesAsync(ns, "pods")).Length == 2, await StateAsync(ns)));

        await SimulatedKubeletReadyAllAsync(ns);

        await EventuallyAsync("endpoints with both pods", async () =>
        {
            var r = await K("get", "endpoints", "web", "-n", ns, "-o", "jsonpath={.subsets[0].addresses[*].ip}:{.subsets[0].ports[0].port}");
            return (r.ExitCode == 0 && r.Stdout.Split(' ').Length == 2 && r.Stdout.EndsWith(":8080", StringComparison.Ordinal), r.ToString());
        });
    }

    [Fact]
    public async Task RolloutStatus_ProgressDeadlineExceeded_Fails()
    {
        var ns = await NamespaceAsync("workload-deadline");
        await CreateAsync(ns, """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 1
              progressDeadlineSeconds: 1
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: busybox, image: busybox}]}
            """);

        // No node agent and no simulated readiness: the rollout cannot progress.
        await EventuallyAsync("deadline exceeded", async () =>
        {
            var r = await K("get", "deploy", "web", "-n", ns, "-o", "jsonpath={.status.conditions[?(@.type==\"Progressing\")].reason}");
            return (r.Stdout == "ProgressDeadlineExceeded", r.ToString());
        });
        var status = (await K("rollout", "status", "deployment/web", "-n", ns, "--timeout=20s")).Failed();
        Assert.Equal("error: deployment \"web\" exceeded its progress deadline\n", status.Stderr);
    }
}
