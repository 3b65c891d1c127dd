using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Controllers.Job;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Scheduling;
using Microsoft.Extensions.Logging;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Controllers.CronJob;

/// <summary>
/// Starts Jobs on a cron schedule (pkg/controller/cronjob, the v2 controller of 1.32): one Job per scheduled
/// time named &lt;cronjob&gt;-&lt;minutes since the epoch&gt;, concurrency policies Allow/Forbid/Replace,
/// startingDeadlineSeconds, suspend, spec.timeZone, history limits, and status.active /
/// lastScheduleTime / lastSuccessfulTime. Each CronJob is requeued for its next scheduled time.
/// </summary>
public sealed class CronJobController : Controller
{
    public const string ScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp";
    public static readonly ResourceRef CronJobs = new("batch", "v1", "cronjobs", true);

    /// <summary>Upstream wakes a little after the scheduled time so the time has certainly passed.</summary>
    private static readonly TimeSpan NextScheduleDelta = TimeSpan.FromMilliseconds(100);

    private readonly KubeClient _client;
    private readonly TimeProvider _time;
    private readonly Informer _cronJobs;
    private readonly Informer _jobs;
    private readonly EventRecorder _events;
    private CancellationToken _running;
    /// <summary>The earliest pending wake-up per key, so repeated syncs do not pile up timers (the delaying queue's dedup).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _wakeAt = new();

    public override string Name => "cronjob";

    /// <summary>When the CronJob with this key is next synced by timer, if one is armed.</summary>
    internal DateTimeOffset? WakeAt(string key) => _wakeAt.TryGetValue(key, out var at) ? at : null;

    /// <summary>The zone of schedules without spec.timeZone (the controller's local zone, as upstream).</summary>
    public TimeZoneInfo DefaultZone { get; init; } = TimeZoneInfo.Local;

    public CronJobController(KubeClient client, ILogger log, TimeProvider? time = null, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        _time = time ?? TimeProvider.System;
        _events = new EventRecorder(client, "cronjob-controller", log, _time);
        _cronJobs = informers.For(CronJobs);
        _jobs = informers.For(JobController.Jobs);
        _cronJobs.Added += cj => Queue.Add(Informer.KeyOf(cj));
        _cronJobs.Updated += (_, cj) => Queue.Add(Informer.KeyOf(cj));
        _jobs.Added += EnqueueOwner;
        _jobs.Updated += (old, job) =>
        {
            EnqueueOwner(job);
            if (!JsonNode.DeepEquals(PodFactsRef(old), PodFactsRef(job))) EnqueueOwner(old);
        };
        _jobs.Deleted += EnqueueOwner;
    }

    private static JsonObject? PodFactsRef(JsonObject obj) =>
        ObjectMeta.OwnerReferences(obj).FirstOrDefault(r => Bool(r["controller"]) == true);

    protected override IEnumerable<Informer> Informers => [_cronJobs, _jobs];

    private void EnqueueOwner(JsonObject job)
    {
        if (PodFactsRef(job) is not { } r || Str(r["kind"]) != "CronJob") return;
        var key = $"{ObjectMeta.Namespace(job)}/{Str(r["name"])}";
        if (_cronJobs.Get(key) is { } cj && ObjectMeta.Uid(cj) == Str(r["uid"])) Queue.Add(key);
    }

    private void RequeueAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Queue.Add(key);
            return;
        }
        var now = _time.GetUtcNow();
        var due = now + delay;
        if (_wakeAt.TryGetValue(key, out var existing) && existing <= due && existing > now) return;
        // Armed before it is published: whoever reads WakeAt can count on the timer (a key is synced by one worker at a time).
        var wake = Task.Delay(delay, _time, _running);
        _wakeAt[key] = due;
        _ = wake.ContinueWith(t =>
        {
            _wakeAt.TryRemove(new KeyValuePair<string, DateTimeOffset>(key, due));
            if (!t.IsCanceled) Queue.Add(key);
        }, TaskScheduler.Default);
    }

    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        _running = ct;
        var shared = _cronJobs.Get(key);
        if (shared == null) return;
        var cj = (JsonObject)shared.DeepClone();
        cj["apiVersion"] ??= "batch/v1";
        cj["kind"] ??= "CronJob";
        var uid = ObjectMeta.Uid(cj);
        var jobs = _jobs.List()
            .Where(j => ObjectMeta.Namespace(j) == ObjectMeta.Namespace(cj) && PodFactsRef(j) is { } r && Str(r["uid"]) == uid)
            .ToList();
        var originalStatus = cj["status"]?.DeepClone();
        var updateAfterCleanup = await CleanupFinishedJobsAsync(cj, jobs, ct).ConfigureAwait(false);
        var (requeueAfter, updateAfterSync) = await SyncCronJobAsync(cj, jobs, ct).ConfigureAwait(false);
        if ((updateAfterCleanup || updateAfterSync) && !JsonNode.DeepEquals(originalStatus, cj["status"]))
            await _client.UpdateAsync(CronJobs, ObjectMeta.Namespace(cj), ObjectMeta.Name(cj), cj, "status", ct).ConfigureAwait(false);
        if (requeueAfter is { } delay) RequeueAfter(key, delay);
    }

    private static JsonObject Status(JsonObject cj) => cj["status"] as JsonObject ?? (JsonObject)(cj["status"] = new JsonObject());

    private static List<JsonObject> Active(JsonObject cj) => (cj["status"]?["active"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    private static bool InActiveList(JsonObject cj, string uid) => Active(cj).Any(r => Str(r["uid"]) == uid);

    private static void DeleteFromActiveList(JsonObject cj, string uid)
    {
        var kept = Active(cj).Where(r => Str(r["uid"]) != uid).Select(r => (JsonNode?)r.DeepClone()).ToArray();
        if (kept.Length == 0) Status(cj).Remove("active");
        else Status(cj)["active"] = new JsonArray(kept);
    }

    /// <summary>The finished condition of a job: "Complete", "Failed" or null.</summary>
    private static string? FinishedCondition(JsonObject job) =>
        (job["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(c => Str(c["type"]) is "Complete" or "Failed" && Str(c["status"]) == "True")
            .Select(c => Str(c["type"])).FirstOrDefault();

    private async Task<(TimeSpan? RequeueAfter, bool UpdateStatus)> SyncCronJobAsync(JsonObject cj, List<JsonObject> jobs, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var update = false;
        var children = new HashSet<string>();
        foreach (var j in jobs)
        {
            var juid = ObjectMeta.Uid(j);
            children.Add(juid);
            var found = InActiveList(cj, juid);
            var finished = FinishedCondition(j);
            if (!found && finished == null)
            {
                // Our status may be older than the job list: check the live object before complaining.
                var live = await _client.GetAsync(CronJobs, ObjectMeta.Namespace(cj), ObjectMeta.Name(cj), ct).ConfigureAwait(false);
                if (InActiveList(live, juid)) continue;
                await _events.EventAsync(cj, EventRecorder.Warning, "UnexpectedJob", $"Saw a job that the controller did not create or forgot: {ObjectMeta.Name(j)}", ct).ConfigureAwait(false);
            }
            else if (found && finished != null)
            {
                DeleteFromActiveList(cj, juid);
                await _events.EventAsync(cj, EventRecorder.Normal, "SawCompletedJob", $"Saw completed job: {ObjectMeta.Name(j)}, condition: {finished}", ct).ConfigureAwait(false);
                update = true;
            }
            if (finished == "Complete" && ObjectMeta.ParseTime(j["status"]?["completionTime"]) is { } completed)
            {
                var last = ObjectMeta.ParseTime(cj["status"]?["lastSuccessfulTime"]);
                if (last == null || completed > last)
                {
                    Status(cj)["lastSuccessfulTime"] = ObjectMeta.FormatTime(completed);
                    update = true;
                }
            }
        }

        // Active entries whose job is gone would otherwise block Forbid forever.
        foreach (var r in Active(cj))
        {
            if (children.Contains(Str(r["uid"]) ?? "")) continue;
            try
            {
                await _client.GetAsync(JobController.Jobs, Str(r["namespace"]) ?? ObjectMeta.Namespace(cj), Str(r["name"]) ?? "", ct).ConfigureAwait(false);
            }
            catch (ApiException e) when (e.IsNotFound)
            {
                await _events.EventAsync(cj, EventRecorder.Normal, "MissingJob", $"Active job went missing: {Str(r["name"])}", ct).ConfigureAwait(false);
                DeleteFromActiveList(cj, Str(r["uid"]) ?? "");
                update = true;
            }
        }

        if (ObjectMeta.IsDeleting(cj)) return (null, update);
        var spec = cj["spec"] as JsonObject ?? new JsonObject();
        var zone = DefaultZone;
        if (Str(spec["timeZone"]) is { } tz)
        {
            if (CronSchedule.FindZone(tz) is not { } found)
            {
                await _events.EventAsync(cj, EventRecorder.Warning, "UnknownTimeZone", $"invalid timeZone: \"{tz}\": unknown time zone {tz}", ct).ConfigureAwait(false);
                return (null, update);
            }
            zone = found;
        }
        if (Bool(spec["suspend"]) == true) return (null, update);

        var scheduleText = Str(spec["schedule"]) ?? "";
        if (scheduleText.Contains("TZ", StringComparison.Ordinal))
            await _events.EventAsync(cj, EventRecorder.Warning, "UnsupportedSchedule", $"CRON_TZ or TZ used in schedule \"{scheduleText}\" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details", ct).ConfigureAwait(false);
        if (!CronSchedule.TryParse(scheduleText, zone, out var schedule, out var parseError))
        {
            await _events.EventAsync(cj, EventRecorder.Warning, "UnparseableSchedule", $"unparseable schedule: \"{scheduleText}\" : {parseError}", ct).ConfigureAwait(false);
            return (null, update);
        }

        var (scheduled, tooMany, invalid) = NextScheduleTime(cj, now, schedule);
        if (invalid != null)
        {
            await _events.EventAsync(cj, EventRecorder.Warning, "InvalidSchedule", $"invalid schedule: {scheduleText} : {invalid}", ct).ConfigureAwait(false);
            return (null, update);
        }
        if (tooMany)
            await _events.EventAsync(cj, EventRecorder.Warning, "TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew", ct).ConfigureAwait(false);
        if (scheduled is not { } scheduledTime) return (NextScheduleTimeDuration(cj, now, schedule), update);

        if (Int(spec["startingDeadlineSeconds"]) is { } startingDeadline && scheduledTime.AddSeconds(startingDeadline) < now)
        {
            await _events.EventAsync(cj, EventRecorder.Warning, "MissSchedule",
                $"Missed scheduled time to start a job: {scheduledTime.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture)}", ct).ConfigureAwait(false);
            return (NextScheduleTimeDuration(cj, now, schedule), update);
        }
        var jobName = JobName(cj, scheduledTime);
        var lastSchedule = ObjectMeta.ParseTime(cj["status"]?["lastScheduleTime"]);
        if (Active(cj).Any(r => Str(r["name"]) == jobName && (Str(r["namespace"]) ?? ObjectMeta.Namespace(cj)) == ObjectMeta.Namespace(cj)) || lastSchedule == scheduledTime)
            return (NextScheduleTimeDuration(cj, now, schedule), update);

        var policy = Str(spec["concurrencyPolicy"]) ?? "Allow";
        if (policy == "Forbid" && Active(cj).Count > 0)
        {
            await _events.EventAsync(cj, EventRecorder.Normal, "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid", ct).ConfigureAwait(false);
            return (NextScheduleTimeDuration(cj, now, schedule), update);
        }
        if (policy == "Replace")
        {
            foreach (var r in Active(cj))
            {
                JsonObject running;
                try
                {
                    running = await _client.GetAsync(JobController.Jobs, Str(r["namespace"]) ?? ObjectMeta.Namespace(cj), Str(r["name"]) ?? "", ct).ConfigureAwait(false);
                }
                catch (ApiException e)
                {
                    await _events.EventAsync(cj, EventRecorder.Warning, "FailedGet", $"Get job: {e.Message}", ct).ConfigureAwait(false);
                    throw;
                }
                if (!await DeleteJobAsync(cj, running, ct).ConfigureAwait(false))
                    throw new InvalidOperationException($"could not replace job {ObjectMeta.Namespace(running)}/{ObjectMeta.Name(running)}");
                update = true;
            }
        }

        var request = JobFromTemplate(cj, scheduledTime, zone);
        JsonObject created;
        var alreadyExisted = false;
        try
        {
            created = await _client.CreateAsync(JobController.Jobs, ObjectMeta.Namespace(cj), request, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
            // Created on an earlier pass whose status write was lost: adopt it into the active list.
            alreadyExisted = true;
            created = await _client.GetAsync(JobController.Jobs, ObjectMeta.Namespace(cj), jobName, ct).ConfigureAwait(false);
            if (PodFactsRef(created) is not { } owner || Str(owner["uid"]) != ObjectMeta.Uid(cj)) return (null, update);
            if (InActiveList(cj, ObjectMeta.Uid(created))) return (null, update);
        }
        catch (ApiException e)
        {
            if (e.Status?["details"]?["causes"] is JsonArray causes && causes.OfType<JsonObject>().Any(c => Str(c["type"]) == "NamespaceTerminating")) throw;
            await _events.EventAsync(cj, EventRecorder.Warning, "FailedCreate", $"Error creating job: {e.Message}", ct).ConfigureAwait(false);
            throw;
        }
        if (!alreadyExisted)
            await _events.EventAsync(cj, EventRecorder.Normal, "SuccessfulCreate", $"Created job {ObjectMeta.Name(created)}", ct).ConfigureAwait(false);

        var active = cj["status"]?["active"] as JsonArray;
        if (active == null) Status(cj)["active"] = active = [];
        active.Add(new JsonObject
        {
            ["kind"] = "Job",
            ["namespace"] = ObjectMeta.Namespace(created),
            ["name"] = ObjectMeta.Name(created),
            ["uid"] = ObjectMeta.Uid(created),
            ["apiVersion"] = "batch/v1",
            ["resourceVersion"] = ObjectMeta.ResourceVersion(created),
        });
        Status(cj)["lastScheduleTime"] = ObjectMeta.FormatTime(scheduledTime);
        return (NextScheduleTimeDuration(cj, now, schedule), true);
    }

    /// <summary>&lt;cronjob&gt;-&lt;scheduled time in minutes since the epoch&gt;: one name per scheduled time.</summary>
    public static string JobName(JsonObject cj, DateTimeOffset scheduledTime) =>
        $"{ObjectMeta.Name(cj)}-{(scheduledTime.ToUnixTimeSeconds() / 60).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>getJobFromTemplate2: the template's labels, annotations and spec, the scheduled time annotation, a controller reference.</summary>
    internal static JsonObject JobFromTemplate(JsonObject cj, DateTimeOffset scheduledTime, TimeZoneInfo zone)
    {
        var template = cj["spec"]?["jobTemplate"] as JsonObject ?? new JsonObject();
        var labels = (template["metadata"]?["labels"] as JsonObject)?.DeepClone() as JsonObject ?? new JsonObject();
        var annotations = (template["metadata"]?["annotations"] as JsonObject)?.DeepClone() as JsonObject ?? new JsonObject();
        annotations[ScheduledTimestampAnnotation] = FormatRfc3339(TimeZoneInfo.ConvertTime(scheduledTime, zone));
        var meta = new JsonObject
        {
            ["name"] = JobName(cj, scheduledTime),
            ["namespace"] = ObjectMeta.Namespace(cj),
        };
        if (labels.Count > 0) meta["labels"] = labels;
        meta["annotations"] = annotations;
        meta["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "CronJob",
            ["name"] = ObjectMeta.Name(cj),
            ["uid"] = ObjectMeta.Uid(cj),
            ["controller"] = true,
            ["blockOwnerDeletion"] = true,
        });
        return new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = meta,
            ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
        };
    }

    /// <summary>Go's time.RFC3339: "2006-01-02T15:04:05Z07:00" ("Z" for UTC, else the offset).</summary>
    private static string FormatRfc3339(DateTimeOffset t) =>
        t.Offset == TimeSpan.Zero
            ? t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>
    /// mostRecentScheduleTime: the latest scheduled time in (earliest, now], where earliest is the last
    /// schedule time (or creation), moved up to now - startingDeadlineSeconds when asked. Also whether more
    /// than 100 times were missed, and an error text for schedules that never fire twice a second apart.
    /// </summary>
    internal static (DateTimeOffset Earliest, DateTimeOffset? MostRecent, int Missed, string? Error) MostRecentScheduleTime(
        JsonObject cj, DateTimeOffset now, CronSchedule schedule, bool includeStartingDeadline)
    {
        var earliest = ObjectMeta.ParseTime(cj["status"]?["lastScheduleTime"]) ?? ObjectMeta.ParseTime(cj["metadata"]?["creationTimestamp"]) ?? now;
        if (includeStartingDeadline && Int(cj["spec"]?["startingDeadlineSeconds"]) is { } deadline)
        {
            var schedulingDeadline = now.AddSeconds(-deadline);
            if (schedulingDeadline > earliest) earliest = schedulingDeadline;
        }
        var t1 = schedule.Next(earliest);
        var t2 = schedule.Next(t1);
        if (now < t1) return (earliest, null, 0, null);
        if (now < t2) return (earliest, t1, 0, null);
        var between = (long)Math.Round((t2 - t1).TotalSeconds);
        if (t1 == DateTimeOffset.MinValue || between < 1) return (earliest, null, 0, "time difference between two schedules is less than 1 second");
        var elapsed = (long)(now - t1).TotalSeconds;
        var missed = (elapsed / between) + 1;
        DateTimeOffset? mostRecent = null;
        // Start one interval before the estimate so irregular schedules ("30 6-16/4 * * 1-5") still land right.
        var potentialEarliest = t1.AddSeconds((missed - 2) * between);
        for (var t = schedule.Next(potentialEarliest); t != DateTimeOffset.MinValue && t <= now; t = schedule.Next(t)) mostRecent = t;
        return (earliest, mostRecent, (int)Math.Min(missed, int.MaxValue), null);
    }

    private static (DateTimeOffset? Scheduled, bool TooManyMissed, string? Error) NextScheduleTime(JsonObject cj, DateTimeOffset now, CronSchedule schedule)
    {
        var (_, mostRecent, missed, error) = MostRecentScheduleTime(cj, now, schedule, includeStartingDeadline: true);
        if (mostRecent == null || mostRecent > now) return (null, false, error);
        return (mostRecent, missed > 100, error);
    }

    /// <summary>How long until the next scheduled time after the most recent one (plus a small delta).</summary>
    internal static TimeSpan NextScheduleTimeDuration(JsonObject cj, DateTimeOffset now, CronSchedule schedule)
    {
        var (earliest, mostRecent, missed, error) = MostRecentScheduleTime(cj, now, schedule, includeStartingDeadline: false);
        DateTimeOffset from;
        if (error != null) from = now;
        else if (mostRecent is { } m) from = m;
        else from = missed == 0 ? earliest : now;
        return schedule.Next(from) + NextScheduleDelta - now;
    }

    /// <summary>Deletes the oldest finished jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit.</summary>
    private async Task<bool> CleanupFinishedJobsAsync(JsonObject cj, List<JsonObject> jobs, CancellationToken ct)
    {
        var spec = cj["spec"];
        var successfulLimit = Int(spec?["successfulJobsHistoryLimit"]);
        var failedLimit = Int(spec?["failedJobsHistoryLimit"]);
        if (successfulLimit == null && failedLimit == null) return false;
        var update = false;
        if (successfulLimit is { } s && await RemoveOldestAsync(cj, jobs.Where(j => FinishedCondition(j) == "Complete").ToList(), s, ct).ConfigureAwait(false)) update = true;
        if (failedLimit is { } f && await RemoveOldestAsync(cj, jobs.Where(j => FinishedCondition(j) == "Failed").ToList(), f, ct).ConfigureAwait(false)) update = true;
        return update;
    }

    private async Task<bool> RemoveOldestAsync(JsonObject cj, List<JsonObject> jobs, long max, CancellationToken ct)
    {
        var excess = jobs.Count - (int)max;
        if (excess <= 0) return false;
        // Oldest start first; jobs that never started sort last; names break ties.
        var ordered = jobs
            .OrderBy(j => ObjectMeta.ParseTime(j["status"]?["startTime"]) == null ? 1 : 0)
            .ThenBy(j => ObjectMeta.ParseTime(j["status"]?["startTime"]) ?? DateTimeOffset.MaxValue)
            .ThenBy(ObjectMeta.Name, StringComparer.Ordinal)
            .Take(excess);
        var update = false;
        foreach (var j in ordered)
            if (await DeleteJobAsync(cj, j, ct).ConfigureAwait(false)) update = true;
        return update;
    }

    private async Task<bool> DeleteJobAsync(JsonObject cj, JsonObject job, CancellationToken ct)
    {
        try
        {
            await _client.DeleteAsync(JobController.Jobs, ObjectMeta.Namespace(job), ObjectMeta.Name(job), "Background", ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (!e.IsNotFound)
        {
            await _events.EventAsync(cj, EventRecorder.Warning, "FailedDelete", $"Deleted job: {e.Message}", ct).ConfigureAwait(false);
            return false;
        }
        catch (ApiException)
        {
        }
        DeleteFromActiveList(cj, ObjectMeta.Uid(job));
        await _events.EventAsync(cj, EventRecorder.Normal, "SuccessfulDelete", $"Deleted job {ObjectMeta.Name(job)}", ct).ConfigureAwait(false);
        return true;
    }
}
