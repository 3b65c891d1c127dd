using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// Jobs and CronJobs driven by kubectl against the job and cronjob controllers. There is no node agent yet,
/// so a simulated kubelet finishes pods by patching their status (kubectl patch --subresource=status);
/// real runs come with the node agent.
/// </summary>
public sealed class JobTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private async Task<string[]> JobPodsAsync(string ns, string job) =>
        (await K("get", "pods", "-n", ns, "-l", "batch.kubernetes.io/job-name=" + job, "-o", "jsonpath={.items[*].metadata.name}"))
            .Succeeded().Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private async Task<string[]> WaitForJobPodsAsync(string ns, string job, int count)
    {
        string[] pods = [];
        await EventuallyAsync($"{count} pod(s) of job {job}", async () =>
        {
            pods = await JobPodsAsync(ns, job);
            return (pods.Length == count, string.Join(",", pods));
        });
        return pods;
    }

    /// <summary>The simulated kubelet: the pod's container exited (at <paramref name="finishedAt"/>) with the phase given.</summary>
    private async Task FinishPodAsync(string ns, string pod, string phase, DateTime finishedAt)
    {
        var at = finishedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var (code, reason) = phase == "Succeeded" ? (0, "Completed") : (1, "Error");
        var patch = """
            {"status":{"phase":"PHASE","containerStatuses":[{"name":"main","image":"busybox","imageID":"","ready":false,"restartCount":0,"started":false,
              "state":{"terminated":{"exitCode":CODE,"reason":"REASON","startedAt":"AT","finishedAt":"AT"}}}]}}
            """.Replace("PHASE", phase).Replace("CODE", code.ToString(System.Globalization.CultureInfo.InvariantCulture)).Replace("REASON", reason).Replace("AT", at);
        (await K("patch", "pod", pod, "-n", ns, "--subresource=status", "--type=merge", "-p", patch)).Succeeded();
    }

    [Fact]
    public async Task CreateJob_PodSucceeds_WaitForComplete()
    {
        var ns = await NamespaceAsync("job-complete");

        Assert.Equal("job.batch/j created\n", (await K("create", "job", "j", "-n", ns, "--image=busybox", "--", "echo", "hi")).Succeeded().Stdout);

        var pod = (await WaitForJobPodsAsync(ns, "j", 1))[0];
        Assert.Matches("^j-[a-z0-9]{5}$", pod);
        var uid = await JsonPathAsync(ns, "job", "j", "{.metadata.uid}");
        Assert.Equal($"j {uid} j {uid}", await JsonPathAsync(ns, "pod", pod,
            "{.metadata.labels.batch\\.kubernetes\\.io/job-name} {.metadata.labels.batch\\.kubernetes\\.io/controller-uid} {.metadata.labels.job-name} {.metadata.labels.controller-uid}"));
        Assert.Equal("Job j true batch.kubernetes.io/job-tracking", await JsonPathAsync(ns, "pod", pod,
            "{.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].name} {.metadata.ownerReferences[0].controller} {.metadata.finalizers[*]}"));
        Assert.Equal("echo hi", await JsonPathAsync(ns, "pod", pod, "{.spec.containers[0].command[*]}"));

        await FinishPodAsync(ns, pod, "Succeeded", DateTime.UtcNow);

        var wait = await K("wait", "-n", ns, "--for=condition=complete", "job/j", "--timeout=30s");
        Assert.Equal("job.batch/j condition met\n", wait.Succeeded().Stdout);
        Assert.Equal("1 SuccessCriteriaMet Complete", await JsonPathAsync(ns, "job", "j", "{.status.succeeded} {.status.conditions[*].type}"));
        Assert.Equal("", await JsonPathAsync(ns, "pod", pod, "{.metadata.finalizers}"));
    }

    [Fact]
    public async Task FailingPods_BackoffLimitExceeded()
    {
        var ns = await NamespaceAsync("job-fail");
        await CreateAsync(ns, """
            apiVersion: batch/v1
            kind: Job
            metadata: {name: bad}
            spec:
              backoffLimit: 1
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: main, image: busybox, command: ["false"]}]
            """);
        // Pods that finished a minute ago are past the 10 s recreation backoff.
        var first = (await WaitForJobPodsAsync(ns, "bad", 1))[0];
        await FinishPodAsync(ns, first, "Failed", DateTime.UtcNow.AddMinutes(-1));
        var second = (await WaitForJobPodsAsync(ns, "bad", 2)).Single(p => p != first);
        await FinishPodAsync(ns, second, "Failed", DateTime.UtcNow.AddMinutes(-1));

        var wait = await K("wait", "-n", ns, "--for=condition=failed", "job/bad", "--timeout=30s");
        Assert.Equal("job.batch/bad condition met\n", wait.Succeeded().Stdout);
        Assert.Equal("2 BackoffLimitExceeded Job has reached the specified backoff limit", await JsonPathAsync(ns, "job", "bad",
            "{.status.failed} {.status.conditions[?(@.type==\"Failed\")].reason} {.status.conditions[?(@.type==\"Failed\")].message}"));
    }

    [Fact]
    public async Task CreateJobFromCronJob()
    {
        var ns = await NamespaceAsync("cronjob-from");
        Assert.Equal("cronjob.batch/c created\n", (await K("create", "cronjob", "c", "-n", ns, "--image=busybox", "--schedule=*/1 * * * *")).Succeeded().Stdout);

        Assert.Equal("job.batch/manual created\n", (await K("create", "job", "manual", "-n", ns, "--from=cronjob/c")).Succeeded().Stdout);

        var cronUid = await JsonPathAsync(ns, "cronjob", "c", "{.metadata.uid}");
        Assert.Equal($"CronJob c {cronUid} true manual", await JsonPathAsync(ns, "job", "manual",
            "{.metadata.ownerReferences[0].kind} {.metadata.ownerReferences[0].name} {.metadata.ownerReferences[0].uid} {.metadata.ownerReferences[0].controller} {.metadata.annotations.cronjob\\.kubernetes\\.io/instantiate}"));
        // The job controller runs it like any job.
        await WaitForJobPodsAsync(ns, "manual", 1);
    }
}
