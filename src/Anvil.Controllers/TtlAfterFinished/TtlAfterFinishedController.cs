using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Controllers.Job;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Controllers.TtlAfterFinished;

/// <summary>
/// Deletes finished Jobs once spec.ttlSecondsAfterFinished has passed since they finished
/// (pkg/controller/ttlafterfinished): the TTL is re-checked on a fresh read before the delete, which
/// cascades in the foreground with uid and resourceVersion preconditions, as upstream.
/// </summary>
public sealed class TtlAfterFinishedController : Controller
{
    private readonly KubeClient _client;
    private readonly TimeProvider _time;
    private readonly Informer _jobs;
    private CancellationToken _running;

    public override string Name => "ttl-after-finished";

    public TtlAfterFinishedController(KubeClient client, ILogger log, TimeProvider? time = null, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        _time = time ?? TimeProvider.System;
        _jobs = informers.For(JobController.Jobs);
        _jobs.Added += Enqueue;
        _jobs.Updated += (_, j) => Enqueue(j);
    }

    protected override IEnumerable<Informer> Informers => [_jobs];

    private void Enqueue(JsonObject job)
    {
        if (!ObjectMeta.IsDeleting(job) && NeedsCleanup(job)) Queue.Add(Informer.KeyOf(job));
    }

    private static bool NeedsCleanup(JsonObject job) => Int(job["spec"]?["ttlSecondsAfterFinished"]) != null && JobController.IsFinished(job);

    /// <summary>When the job finished: the transition time of its true Complete or Failed condition.</summary>
    internal static DateTimeOffset? FinishTime(JsonObject job) =>
        (job["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(c => Str(c["type"]) is "Complete" or "Failed" && Str(c["status"]) == "True")
            .Select(c => ObjectMeta.ParseTime(c["lastTransitionTime"])).FirstOrDefault();

    /// <summary>Time left before the job expires (zero or less: expired); null when it needs no cleanup.</summary>
    private TimeSpan? TimeLeft(JsonObject job)
    {
        if (!NeedsCleanup(job) || FinishTime(job) is not { } finished) return null;
        var ttl = TimeSpan.FromSeconds(Int(job["spec"]?["ttlSecondsAfterFinished"])!.Value);
        return finished + ttl - _time.GetUtcNow();
    }

    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        _running = ct;
        var job = _jobs.Get(key);
        if (job == null || ObjectMeta.IsDeleting(job)) return;
        if (TimeLeft(job) is not { } left) return;
        if (left > TimeSpan.Zero)
        {
            RequeueAfter(key, left);
            return;
        }
        // The cache may be stale (TTL changed, job re-run): decide on a fresh copy.
        JsonObject fresh;
        try
        {
            fresh = await _client.GetAsync(JobController.Jobs, ObjectMeta.Namespace(job), ObjectMeta.Name(job), ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return;
        }
        if (ObjectMeta.IsDeleting(fresh) || TimeLeft(fresh) is not { } freshLeft) return;
        if (freshLeft > TimeSpan.Zero)
        {
            RequeueAfter(key, freshLeft);
            return;
        }
        var options = new JsonObject
        {
            ["kind"] = "DeleteOptions",
            ["apiVersion"] = "v1",
            ["propagationPolicy"] = "Foreground",
            ["preconditions"] = new JsonObject { ["uid"] = ObjectMeta.Uid(fresh), ["resourceVersion"] = ObjectMeta.ResourceVersion(fresh) },
        };
        try
        {
            await _client.SendAsync(HttpMethod.Delete, JobController.Jobs.Path(ObjectMeta.Namespace(fresh), ObjectMeta.Name(fresh)), options, "application/json", ct).ConfigureAwait(false);
            Log.LogInformation("controller=ttl-after-finished job={Key} deleted", key);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
    }

    private void RequeueAfter(string key, TimeSpan delay) =>
        _ = Task.Delay(delay, _time, _running).ContinueWith(t => { if (!t.IsCanceled) Queue.Add(key); }, TaskScheduler.Default);
}
