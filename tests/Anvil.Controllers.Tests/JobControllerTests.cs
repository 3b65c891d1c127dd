using System.Text.Json.Nodes;
using Anvil.Controllers.Job;
using Anvil.Controllers.Tests.Harness;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Tests;

public sealed class JobControllerTests(ApiServerFixture server) : ControllerTest(server), IClassFixture<ApiServerFixture>
{
    private void StartController(TimeProvider? time = null)
    {
        var controller = new JobController(Client, Log, time);
        Run(ct => controller.RunAsync(2, ct));
    }

    private async Task<JsonObject> CreateJobAsync(string ns, string name, string specExtra = "", string templateSpecExtra = "")
    {
        var job = Parse("""{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"NAME"},"spec":{SPEC"template":{"spec":{TSPEC"restartPolicy":"Never","containers":[{"name":"main","image":"busybox","command":["echo","hi"]}]}}}}"""
            .Replace("NAME", name).Replace("TSPEC", templateSpecExtra).Replace("SPEC", specExtra));
        return await Client.CreateAsync(Jobs, ns, job);
    }

    [Fact]
    public async Task CreatesAPodFromTheTemplateWithJobLabelsOwnerAndTrackingFinalizer()
    {
        var ns = await Server.NamespaceAsync("job-create");
        StartController();
        var job = await CreateJobAsync(ns, "hello");
        var uid = ObjectMeta.Uid(job);

        var pod = (await WaitForPodsAsync(ns, "hello", "one pod", p => p.Count == 1))[0];
        Assert.Matches("^hello-[a-z0-9]{5}$", ObjectMeta.Name(pod));
        var labels = ObjectMeta.Labels(pod)!;
        Assert.Equal("hello", (string?)labels["batch.kubernetes.io/job-name"]);
        Assert.Equal("hello", (string?)labels["job-name"]);
        Assert.Equal(uid, (string?)labels["batch.kubernetes.io/controller-uid"]);
        Assert.Equal(uid, (string?)labels["controller-uid"]);
        Assert.Equal(["batch.kubernetes.io/job-tracking"], ObjectMeta.Finalizers(pod));
        var owner = Assert.Single(ObjectMeta.OwnerReferences(pod));
        Assert.Equal("""{"apiVersion":"batch/v1","kind":"Job","name":"hello","uid":"UID","controller":true,"blockOwnerDeletion":true}""".Replace("UID", uid), owner.ToJsonString());

        var status = await WaitForAsync(Jobs, ns, "hello", "active=1", j => (int?)j["status"]?["active"] == 1);
        Assert.NotNull(status["status"]?["startTime"]);
        Assert.Equal(0, (int?)status["status"]?["ready"]);
        Assert.Equal(0, (int?)status["status"]?["terminating"]);
        Assert.Equal("{}", status["status"]?["uncountedTerminatedPods"]?.ToJsonString());
        Assert.Contains($"Normal SuccessfulCreate: Created pod: {ObjectMeta.Name(pod)}", await EventsAsync(ns, "hello"));
    }

    [Fact]
    public async Task SucceededPodCompletesTheJob()
    {
        var ns = await Server.NamespaceAsync("job-complete");
        StartController();
        await CreateJobAsync(ns, "ok");
        var pod = (await WaitForPodsAsync(ns, "ok", "one pod", p => p.Count == 1))[0];

        await SimulatedKubelet.SucceedAsync(Client, pod);

        var job = await WaitForAsync(Jobs, ns, "ok", "Complete", j => Condition(j, "Complete") == "True");
        Assert.Equal("SuccessCriteriaMet=True,Complete=True", Conditions(job));
        Assert.Equal("CompletionsReached", Condition(job, "Complete", "reason"));
        Assert.Equal("Reached expected number of succeeded pods", Condition(job, "SuccessCriteriaMet", "message"));
        Assert.Equal(1, (int?)job["status"]?["succeeded"]);
        Assert.Null(job["status"]?["active"]);
        Assert.Equal(Condition(job, "Complete", "lastTransitionTime"), (string?)job["status"]?["completionTime"]);
        Assert.Equal("{}", job["status"]?["uncountedTerminatedPods"]?.ToJsonString());
        var counted = await Client.GetAsync(Pods, ns, ObjectMeta.Name(pod));
        Assert.Empty(ObjectMeta.Finalizers(counted));
        Assert.Single(await PodsOfJobAsync(ns, "ok")); // no replacement for a success
        Assert.Contains("Normal Completed: Job completed", await EventsAsync(ns, "ok"));
    }

    [Fact]
    public async Task FailuresBeyondBackoffLimitFailTheJob()
    {
        var ns = await Server.NamespaceAsync("job-backoff");
        StartController();
        await CreateJobAsync(ns, "bad", "\"backoffLimit\":1,");
        // Pods that finished a minute ago are past the 10 s recreation backoff.
        var first = (await WaitForPodsAsync(ns, "bad", "first pod", p => p.Count == 1))[0];
        await SimulatedKubelet.FailAsync(Client, first, DateTimeOffset.UtcNow.AddMinutes(-1));
        var pods = await WaitForPodsAsync(ns, "bad", "a replacement pod", p => p.Count == 2);
        var second = pods.Single(p => ObjectMeta.Name(p) != ObjectMeta.Name(first));
        await SimulatedKubelet.FailAsync(Client, second, DateTimeOffset.UtcNow.AddMinutes(-1));

        var job = await WaitForAsync(Jobs, ns, "bad", "Failed", j => Condition(j, "Failed") == "True");
        Assert.Equal("FailureTarget=True,Failed=True", Conditions(job));
        Assert.Equal("BackoffLimitExceeded", Condition(job, "Failed", "reason"));
        Assert.Equal("Job has reached the specified backoff limit", Condition(job, "Failed", "message"));
        Assert.Equal(2, (int?)job["status"]?["failed"]);
        Assert.Null(job["status"]?["completionTime"]);
        Assert.Equal(2, (await PodsOfJobAsync(ns, "bad")).Count);
        Assert.Contains("Warning BackoffLimitExceeded: Job has reached the specified backoff limit", await EventsAsync(ns, "bad"));
    }

    [Fact]
    public async Task FailedPodIsRecreatedOnlyAfterTheBackoff()
    {
        var ns = await Server.NamespaceAsync("job-delay");
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        StartController(clock);
        await CreateJobAsync(ns, "retry", "\"backoffLimit\":3,");
        var first = (await WaitForPodsAsync(ns, "retry", "first pod", p => p.Count == 1))[0];
        await SimulatedKubelet.FailAsync(Client, first, clock.GetUtcNow());

        await WaitForAsync(Jobs, ns, "retry", "failure counted", j => (int?)j["status"]?["failed"] == 1);
        await Eventually.GetAsync("backoff timer", () => Task.FromResult((clock.PendingTimers > 0, 0, "no timer")));
        Assert.Single(await PodsOfJobAsync(ns, "retry"));

        clock.Advance(TimeSpan.FromSeconds(10));
        await WaitForPodsAsync(ns, "retry", "replacement after 10 s", p => p.Count == 2);
    }

    [Fact]
    public async Task ActiveDeadlineFailsTheJobAndDeletesItsPods()
    {
        var ns = await Server.NamespaceAsync("job-deadline");
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        StartController(clock);
        await CreateJobAsync(ns, "slow", "\"activeDeadlineSeconds\":30,");
        var pod = (await WaitForPodsAsync(ns, "slow", "one pod", p => p.Count == 1))[0];
        await WaitForAsync(Jobs, ns, "slow", "active", j => (int?)j["status"]?["active"] == 1);
        await Eventually.GetAsync("deadline timer", () => Task.FromResult((clock.PendingTimers > 0, 0, "no timer")));

        clock.Advance(TimeSpan.FromSeconds(31));

        var job = await WaitForAsync(Jobs, ns, "slow", "Failed", j => Condition(j, "Failed") == "True");
        Assert.Equal("DeadlineExceeded", Condition(job, "Failed", "reason"));
        Assert.Equal("Job was active longer than specified deadline", Condition(job, "Failed", "message"));
        Assert.Equal(1, (int?)job["status"]?["failed"]);
        Assert.Equal(0, (int?)job["status"]?["terminating"]);
        await WaitGoneAsync(Pods, ns, ObjectMeta.Name(pod));
    }

    [Fact]
    public async Task SuspendDeletesActivePodsAndResumeRecreatesThem()
    {
        var ns = await Server.NamespaceAsync("job-suspend");
        StartController();
        await CreateJobAsync(ns, "pause");
        var pod = (await WaitForPodsAsync(ns, "pause", "one pod", p => p.Count == 1))[0];

        await Client.PatchAsync(Jobs, ns, "pause", Parse("""{"spec":{"suspend":true}}"""));
        var job = await WaitForAsync(Jobs, ns, "pause", "Suspended", j => Condition(j, "Suspended") == "True");
        Assert.Equal("JobSuspended", Condition(job, "Suspended", "reason"));
        Assert.Equal("Job suspended", Condition(job, "Suspended", "message"));
        await WaitGoneAsync(Pods, ns, ObjectMeta.Name(pod));
        job = await WaitForAsync(Jobs, ns, "pause", "no active", j => j["status"]?["active"] == null);
        Assert.Null(job["status"]?["failed"]); // pods removed by suspension are not failures

        await Client.PatchAsync(Jobs, ns, "pause", Parse("""{"spec":{"suspend":false}}"""));
        job = await WaitForAsync(Jobs, ns, "pause", "resumed", j => Condition(j, "Suspended") == "False");
        Assert.Equal("JobResumed", Condition(job, "Suspended", "reason"));
        await WaitForPodsAsync(ns, "pause", "a new pod", p => p.Count == 1 && ObjectMeta.Name(p[0]) != ObjectMeta.Name(pod));
        var events = await EventsAsync(ns, "pause");
        Assert.Contains("Normal Suspended: Job suspended", events);
        Assert.Contains("Normal Resumed: Job resumed", events);
    }

    [Fact]
    public async Task ParallelismBoundsActivePodsUntilCompletionsAreReached()
    {
        var ns = await Server.NamespaceAsync("job-parallel");
        StartController();
        await CreateJobAsync(ns, "many", "\"completions\":3,\"parallelism\":2,");
        var pods = await WaitForPodsAsync(ns, "many", "two pods", p => p.Count == 2);
        foreach (var p in pods) await SimulatedKubelet.SucceedAsync(Client, p);

        // Two successes leave one completion: one more pod, not two.
        pods = await WaitForPodsAsync(ns, "many", "third pod", p => p.Count == 3);
        var job = await WaitForAsync(Jobs, ns, "many", "2 succeeded", j => (int?)j["status"]?["succeeded"] == 2);
        Assert.Equal(1, (int?)job["status"]?["active"]);
        await SimulatedKubelet.SucceedAsync(Client, pods.Single(p => (string?)p["status"]?["phase"] != "Succeeded"));

        job = await WaitForAsync(Jobs, ns, "many", "Complete", j => Condition(j, "Complete") == "True");
        Assert.Equal(3, (int?)job["status"]?["succeeded"]);
        Assert.Equal(3, (await PodsOfJobAsync(ns, "many")).Count);
    }

    [Fact]
    public async Task IndexedJobGivesEachPodItsIndex()
    {
        var ns = await Server.NamespaceAsync("job-indexed");
        StartController();
        await CreateJobAsync(ns, "idx", "\"completions\":2,\"parallelism\":2,\"completionMode\":\"Indexed\",");
        var pods = await WaitForPodsAsync(ns, "idx", "two pods", p => p.Count == 2);
        var byIndex = pods.OrderBy(p => (string?)p["metadata"]?["annotations"]?["batch.kubernetes.io/job-completion-index"]).ToList();
        for (var i = 0; i < 2; i++)
        {
            var p = byIndex[i];
            Assert.Equal($"{i}", (string?)p["metadata"]?["annotations"]?["batch.kubernetes.io/job-completion-index"]);
            Assert.Equal($"{i}", (string?)p["metadata"]?["labels"]?["batch.kubernetes.io/job-completion-index"]);
            Assert.Matches($"^idx-{i}-[a-z0-9]{{5}}$", ObjectMeta.Name(p));
            Assert.Equal($"idx-{i}", (string?)p["spec"]?["hostname"]);
            Assert.Equal("JOB_COMPLETION_INDEX", (string?)p["spec"]?["containers"]?[0]?["env"]?[0]?["name"]);
        }
        await SimulatedKubelet.SucceedAsync(Client, byIndex[1]);
        await WaitForAsync(Jobs, ns, "idx", "index 1 done", j => (string?)j["status"]?["completedIndexes"] == "1");
        await SimulatedKubelet.SucceedAsync(Client, byIndex[0]);

        var job = await WaitForAsync(Jobs, ns, "idx", "Complete", j => Condition(j, "Complete") == "True");
        Assert.Equal("0,1", (string?)job["status"]?["completedIndexes"]); // two neighbours: a comma, not a range
        Assert.Equal(2, (int?)job["status"]?["succeeded"]);
    }

    [Fact]
    public async Task DeletedRunningPodIsCountedFailedAndReplaced()
    {
        var ns = await Server.NamespaceAsync("job-deleted");
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        StartController(clock);
        await CreateJobAsync(ns, "gone");
        var pod = (await WaitForPodsAsync(ns, "gone", "one pod", p => p.Count == 1))[0];

        await Client.DeleteAsync(Pods, ns, ObjectMeta.Name(pod));

        // The finalizer held the pod until the job counted it; then it goes and a replacement comes.
        var job = await WaitForAsync(Jobs, ns, "gone", "failure counted", j => (int?)j["status"]?["failed"] == 1);
        Assert.Equal("", Condition(job, "Failed"));
        await WaitGoneAsync(Pods, ns, ObjectMeta.Name(pod));
        clock.Advance(TimeSpan.FromSeconds(11)); // the recreation backoff
        await WaitForPodsAsync(ns, "gone", "a replacement", p => p.Count == 1 && ObjectMeta.Name(p[0]) != ObjectMeta.Name(pod));
    }

    [Fact]
    public async Task DeletedJobReleasesItsPodsFinalizers()
    {
        var ns = await Server.NamespaceAsync("job-release");
        StartController();
        await CreateJobAsync(ns, "drop");
        var pod = (await WaitForPodsAsync(ns, "drop", "one pod", p => p.Count == 1))[0];

        await Client.DeleteAsync(Jobs, ns, "drop");

        // No garbage collector runs here: the pod stays, but the job controller no longer holds it.
        await WaitForAsync(Pods, ns, ObjectMeta.Name(pod), "finalizer removed", p => ObjectMeta.Finalizers(p).Count == 0);
    }
}
