using System.Text.Json.Nodes;
using Anvil.Controllers.CronJob;
using Anvil.Controllers.Tests.Harness;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Scheduling;

namespace Anvil.Controllers.Tests;

public sealed class CronJobControllerTests(ApiServerFixture server) : ControllerTest(server), IClassFixture<ApiServerFixture>
{
    private (ManualTimeProvider, CronJobController) StartController()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var controller = new CronJobController(Client, Log, clock) { DefaultZone = TimeZoneInfo.Utc };
        Run(ct => controller.RunAsync(2, ct));
        return (clock, controller);
    }

    private async Task<JsonObject> CreateCronJobAsync(string ns, string name, string specExtra = "")
    {
        var cj = Parse("""
            {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"NAME"},
             "spec":{SPEC"schedule":"*/1 * * * *","jobTemplate":{"metadata":{"labels":{"team":"a"}},
               "spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"main","image":"busybox"}]}}}}}}
            """.Replace("NAME", name).Replace("SPEC", specExtra));
        return await Client.CreateAsync(CronJobs, ns, cj);
    }

    /// <summary>
    /// Moves the clock just past the next whole minute, once the controller has armed this CronJob's wake-up. Any pending
    /// timer is not enough: the controller also syncs earlier tests' CronJobs, and a jump made while it computes this
    /// one's delay would arm the timer a minute late.
    /// </summary>
    private static async Task<DateTimeOffset> NextMinuteAsync(ManualTimeProvider clock, CronJobController controller, string key)
    {
        await Eventually.GetAsync("controller waiting for its next schedule",
            () => Task.FromResult((controller.WakeAt(key) > clock.GetUtcNow(), 0, $"wake-up of {key}: {controller.WakeAt(key)}")));
        var now = clock.GetUtcNow();
        var next = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1);
        clock.Advance(next - now + TimeSpan.FromSeconds(1));
        return next;
    }

    private Task<List<JsonObject>> JobsOfAsync(string ns) => ListAsync(Jobs, ns);

    private async Task CompleteJobAsync(string ns, string name, DateTimeOffset at)
    {
        var t = ObjectMeta.FormatTime(at);
        var status = Parse("""
            {"status":{"startTime":"@@0@@","completionTime":"@@1@@","succeeded":1,"conditions":[
              {"type":"SuccessCriteriaMet","status":"True","lastProbeTime":"@@2@@","lastTransitionTime":"@@3@@"},
              {"type":"Complete","status":"True","lastProbeTime":"@@4@@","lastTransitionTime":"@@5@@"}]}}
            """.Replace("@@0@@", $"{t}").Replace("@@1@@", $"{t}").Replace("@@2@@", $"{t}").Replace("@@3@@", $"{t}").Replace("@@4@@", $"{t}").Replace("@@5@@", $"{t}"));
        await Client.PatchAsync(Jobs, ns, name, status, subresource: "status");
    }

    [Fact]
    public async Task CreatesTheJobOfTheScheduledTime()
    {
        var ns = await Server.NamespaceAsync("cj-create");
        var (clock, controller) = StartController();
        var cj = await CreateCronJobAsync(ns, "tick");

        var scheduled = await NextMinuteAsync(clock, controller, $"{ns}/tick");

        var name = $"tick-{scheduled.ToUnixTimeSeconds() / 60}";
        var job = await Eventually.GetAsync("job created", async () =>
        {
            var jobs = await JobsOfAsync(ns);
            return (jobs.Count == 1, jobs.FirstOrDefault()!, string.Join(",", jobs.Select(ObjectMeta.Name)));
        });
        Assert.Equal(name, ObjectMeta.Name(job));
        Assert.Equal(ObjectMeta.FormatTime(scheduled), (string?)job["metadata"]?["annotations"]?["batch.kubernetes.io/cronjob-scheduled-timestamp"]);
        Assert.Equal("a", (string?)ObjectMeta.Labels(job)?["team"]);
        var owner = Assert.Single(ObjectMeta.OwnerReferences(job));
        Assert.Equal("""{"apiVersion":"batch/v1","kind":"CronJob","name":"tick","uid":"UID","controller":true,"blockOwnerDeletion":true}""".Replace("UID", ObjectMeta.Uid(cj)), owner.ToJsonString());

        var updated = await WaitForAsync(CronJobs, ns, "tick", "status.active", c => c["status"]?["active"] is JsonArray { Count: 1 });
        var active = (JsonObject)updated["status"]!["active"]![0]!;
        Assert.Equal(name, (string?)active["name"]);
        Assert.Equal("Job", (string?)active["kind"]);
        Assert.Equal(ObjectMeta.Uid(job), (string?)active["uid"]);
        Assert.Equal(ObjectMeta.FormatTime(scheduled), (string?)updated["status"]?["lastScheduleTime"]);
        Assert.Contains($"Normal SuccessfulCreate: Created job {name}", await EventsAsync(ns, "tick"));
    }

    [Fact]
    public async Task ForbidSkipsWhileAJobRunsAndCompletionIsRecorded()
    {
        var ns = await Server.NamespaceAsync("cj-forbid");
        var (clock, controller) = StartController();
        await CreateCronJobAsync(ns, "once", "\"concurrencyPolicy\":\"Forbid\",");
        var first = await NextMinuteAsync(clock, controller, $"{ns}/once");
        await WaitForAsync(CronJobs, ns, "once", "first job active", c => c["status"]?["active"] is JsonArray { Count: 1 });

        var second = await NextMinuteAsync(clock, controller, $"{ns}/once");
        await Eventually.GetAsync("JobAlreadyActive", async () =>
        {
            var events = await EventsAsync(ns, "once");
            return (events.Contains("Normal JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid"), 0, string.Join("\n", events));
        });
        Assert.Single(await JobsOfAsync(ns));

        // Once the running job finishes, the skipped time (still the most recent one) starts.
        var firstName = $"once-{first.ToUnixTimeSeconds() / 60}";
        var secondName = $"once-{second.ToUnixTimeSeconds() / 60}";
        await CompleteJobAsync(ns, firstName, clock.GetUtcNow());
        var cj = await WaitForAsync(CronJobs, ns, "once", "second job active", c => (string?)c["status"]?["active"]?[0]?["name"] == secondName);
        Assert.Single((JsonArray)cj["status"]!["active"]!);
        Assert.Equal(ObjectMeta.FormatTime(clock.GetUtcNow()), (string?)cj["status"]?["lastSuccessfulTime"]);
        Assert.Equal(ObjectMeta.FormatTime(second), (string?)cj["status"]?["lastScheduleTime"]);
        Assert.Contains($"Normal SawCompletedJob: Saw completed job: {firstName}, condition: Complete", await EventsAsync(ns, "once"));
    }

    [Fact]
    public async Task ReplaceDeletesTheRunningJob()
    {
        var ns = await Server.NamespaceAsync("cj-replace");
        var (clock, controller) = StartController();
        await CreateCronJobAsync(ns, "swap", "\"concurrencyPolicy\":\"Replace\",");
        var first = await NextMinuteAsync(clock, controller, $"{ns}/swap");
        await WaitForAsync(CronJobs, ns, "swap", "first job active", c => c["status"]?["active"] is JsonArray { Count: 1 });

        var second = await NextMinuteAsync(clock, controller, $"{ns}/swap");

        var secondName = $"swap-{second.ToUnixTimeSeconds() / 60}";
        var cj = await WaitForAsync(CronJobs, ns, "swap", "second job active", c => (string?)c["status"]?["active"]?[0]?["name"] == secondName);
        Assert.Single((JsonArray)cj["status"]!["active"]!);
        await WaitGoneAsync(Jobs, ns, $"swap-{first.ToUnixTimeSeconds() / 60}");
        Assert.Contains($"Normal SuccessfulDelete: Deleted job swap-{first.ToUnixTimeSeconds() / 60}", await EventsAsync(ns, "swap"));
    }

    [Fact]
    public async Task HistoryLimitsDeleteTheOldestFinishedJobs()
    {
        var ns = await Server.NamespaceAsync("cj-history");
        var (clock, _) = StartController();
        var cj = await CreateCronJobAsync(ns, "keep", "\"suspend\":true,\"successfulJobsHistoryLimit\":1,\"failedJobsHistoryLimit\":0,");
        var owner = """[{"apiVersion":"batch/v1","kind":"CronJob","name":"keep","uid":"@@0@@","controller":true}]""".Replace("@@0@@", $"{ObjectMeta.Uid(cj)}");
        var start = clock.GetUtcNow().AddHours(-1);
        foreach (var (name, minutes, outcome) in new[] { ("old", 0, "Complete"), ("new", 10, "Complete"), ("bad", 5, "Failed") })
        {
            await Client.CreateAsync(Jobs, ns, Parse("""
                {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"@@0@@","ownerReferences":@@1@@},
                 "spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"main","image":"busybox"}]}}}}
                """.Replace("@@0@@", $"{name}").Replace("@@1@@", $"{owner}")));
            var t = ObjectMeta.FormatTime(start.AddMinutes(minutes));
            var conditions = outcome == "Complete"
                ? """[{"type":"SuccessCriteriaMet","status":"True","lastProbeTime":"@@0@@","lastTransitionTime":"@@1@@"},{"type":"Complete","status":"True","lastProbeTime":"@@2@@","lastTransitionTime":"@@3@@"}]""".Replace("@@0@@", $"{t}").Replace("@@1@@", $"{t}").Replace("@@2@@", $"{t}").Replace("@@3@@", $"{t}")
                : """[{"type":"FailureTarget","status":"True","lastProbeTime":"@@0@@","lastTransitionTime":"@@1@@"},{"type":"Failed","status":"True","lastProbeTime":"@@2@@","lastTransitionTime":"@@3@@"}]""".Replace("@@0@@", $"{t}").Replace("@@1@@", $"{t}").Replace("@@2@@", $"{t}").Replace("@@3@@", $"{t}");
            var completion = outcome == "Complete" ? $"\"completionTime\":\"{t}\"," : "";
            await Client.PatchAsync(Jobs, ns, name, Parse("""{"status":{"startTime":"@@0@@",@@1@@"conditions":@@2@@}}""".Replace("@@0@@", $"{t}").Replace("@@1@@", $"{completion}").Replace("@@2@@", $"{conditions}")), subresource: "status");
        }

        await WaitGoneAsync(Jobs, ns, "old");
        await WaitGoneAsync(Jobs, ns, "bad");
        Assert.Equal(["new"], (await JobsOfAsync(ns)).Select(ObjectMeta.Name));
        var events = await EventsAsync(ns, "keep");
        Assert.Contains("Normal SuccessfulDelete: Deleted job old", events);
        Assert.Contains("Normal SuccessfulDelete: Deleted job bad", events);
    }

    private static JsonObject CronJob(string created, string? lastSchedule = null, int? startingDeadline = null)
    {
        var cj = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "c", ["namespace"] = "ns", ["uid"] = "u1", ["creationTimestamp"] = created },
            ["spec"] = new JsonObject { ["schedule"] = "*/1 * * * *" },
            ["status"] = new JsonObject(),
        };
        if (lastSchedule != null) cj["status"]!["lastScheduleTime"] = lastSchedule;
        if (startingDeadline != null) cj["spec"]!["startingDeadlineSeconds"] = startingDeadline;
        return cj;
    }

    private static CronSchedule Schedule(string spec, TimeZoneInfo? zone = null)
    {
        Assert.True(CronSchedule.TryParse(spec, zone ?? TimeZoneInfo.Utc, out var s, out var err), err);
        return s;
    }

    [Theory]
    // created, last schedule, now → the most recent unmet time, missed count
    [InlineData("2024-05-01T10:00:30Z", null, "2024-05-01T10:00:50Z", null, 0)]
    [InlineData("2024-05-01T10:00:30Z", null, "2024-05-01T10:01:05Z", "2024-05-01T10:01:00Z", 0)]
    [InlineData("2024-05-01T10:00:30Z", "2024-05-01T10:01:00Z", "2024-05-01T10:01:30Z", null, 0)]
    [InlineData("2024-05-01T10:00:30Z", "2024-05-01T10:01:00Z", "2024-05-01T10:05:10Z", "2024-05-01T10:05:00Z", 4)]
    [InlineData("2024-05-01T10:00:30Z", null, "2024-05-01T13:00:10Z", "2024-05-01T13:00:00Z", 180)]
    public void MostRecentScheduleTimeFindsTheLatestMissedTime(string created, string? last, string now, string? expected, int missed)
    {
        var (_, mostRecent, count, error) = CronJobController.MostRecentScheduleTime(CronJob(created, last), DateTimeOffset.Parse(now), Schedule("*/1 * * * *"), true);
        Assert.Null(error);
        Assert.Equal(expected, mostRecent is { } m ? ObjectMeta.FormatTime(m) : null);
        Assert.Equal(missed, count);
    }

    [Fact]
    public void StartingDeadlineLimitsHowFarBackSchedulesAreLookedFor()
    {
        // Created three hours ago: without a deadline 180 times were missed (too many); with 200 s, four.
        var cj = CronJob("2024-05-01T10:00:30Z", startingDeadline: 200);
        var (_, mostRecent, missed, _) = CronJobController.MostRecentScheduleTime(cj, DateTimeOffset.Parse("2024-05-01T13:00:10Z"), Schedule("*/1 * * * *"), true);
        Assert.Equal("2024-05-01T13:00:00Z", ObjectMeta.FormatTime(mostRecent!.Value));
        Assert.Equal(4, missed);
    }

    [Fact]
    public void ScheduleThatNeverFiresIsAnError()
    {
        var (_, mostRecent, _, error) = CronJobController.MostRecentScheduleTime(CronJob("2024-05-01T10:00:30Z"), DateTimeOffset.Parse("2024-05-01T13:00:10Z"), Schedule("0 0 30 2 *"), true);
        Assert.Null(mostRecent);
        Assert.Equal("time difference between two schedules is less than 1 second", error);
    }

    [Fact]
    public void NextScheduleDurationWakesJustAfterTheNextTime()
    {
        var cj = CronJob("2024-05-01T10:00:30Z", "2024-05-01T10:01:00Z");
        var wait = CronJobController.NextScheduleTimeDuration(cj, DateTimeOffset.Parse("2024-05-01T10:01:20Z"), Schedule("*/1 * * * *"));
        Assert.Equal(TimeSpan.FromSeconds(40.1), wait);
    }

    [Theory]
    [InlineData(null, "2024-11-21T09:30:00Z")]
    [InlineData("Europe/Berlin", "2024-11-21T10:30:00+01:00")]
    [InlineData("America/New_York", "2024-11-21T04:30:00-05:00")]
    public void JobFromTemplateNamesAndAnnotatesTheScheduledTime(string? zone, string annotation)
    {
        var cj = CronJob("2024-05-01T10:00:30Z");
        cj["spec"]!["jobTemplate"] = Parse("""{"metadata":{"labels":{"a":"b"},"annotations":{"x":"y"}},"spec":{"backoffLimit":2}}""");
        var scheduled = DateTimeOffset.Parse("2024-11-21T09:30:00Z");
        var job = CronJobController.JobFromTemplate(cj, scheduled, zone == null ? TimeZoneInfo.Utc : CronSchedule.FindZone(zone)!);
        Assert.Equal($"c-{scheduled.ToUnixTimeSeconds() / 60}", ObjectMeta.Name(job));
        Assert.Equal("c-28869690", ObjectMeta.Name(job));
        Assert.Equal(annotation, (string?)job["metadata"]?["annotations"]?["batch.kubernetes.io/cronjob-scheduled-timestamp"]);
        Assert.Equal("y", (string?)job["metadata"]?["annotations"]?["x"]);
        Assert.Equal("""{"a":"b"}""", job["metadata"]?["labels"]?.ToJsonString());
        Assert.Equal("""{"backoffLimit":2}""", job["spec"]?.ToJsonString());
    }
}
