using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;
using Microsoft.Extensions.Logging;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Controllers.Job;

/// <summary>
/// Runs Jobs to completion (pkg/controller/job, 1.32): creates pods from the template up to parallelism,
/// counts finished pods through the batch.kubernetes.io/job-tracking finalizer and
/// status.uncountedTerminatedPods, fails jobs past backoffLimit or activeDeadlineSeconds, recreates failed
/// pods with exponential backoff, suspends and resumes, and marks jobs SuccessCriteriaMet/Complete or
/// FailureTarget/Failed once no pod is left terminating.
/// </summary>
public sealed partial class JobController : Controller
{
    public const string TrackingFinalizer = "batch.kubernetes.io/job-tracking";
    public const string CompletionIndexAnnotation = "batch.kubernetes.io/job-completion-index";
    public const string JobNameLabel = "batch.kubernetes.io/job-name";
    public const string ControllerUidLabel = "batch.kubernetes.io/controller-uid";
    public static readonly ResourceRef Jobs = new("batch", "v1", "jobs", true);
    public static readonly ResourceRef Pods = new("", "v1", "pods", true);

    private const string OrphanPrefix = "orphan:";
    /// <summary>Upstream's MaxUncountedPods and MaxPodCreateDeletePerSync.</summary>
    private const int MaxUncountedPods = 500;
    private const int MaxPodCreateDeletePerSync = 500;

    private readonly KubeClient _client;
    private readonly TimeProvider _time;
    private readonly Informer _jobs;
    private readonly Informer _pods;
    private readonly EventRecorder _events;
    private readonly ControllerExpectations _expectations;
    private readonly UidTrackingExpectations _finalizerExpectations = new();
    private readonly ConcurrentDictionary<string, BackoffRecord> _backoff = new();

    public override string Name => "job";

    /// <summary>First delay before recreating a failed pod; doubles per further failure.</summary>
    public TimeSpan PodFailureBackoff { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan MaxPodFailureBackoff { get; init; } = TimeSpan.FromMinutes(10);

    public JobController(KubeClient client, ILogger log, TimeProvider? time = null, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        _time = time ?? TimeProvider.System;
        _expectations = new ControllerExpectations(_time);
        _events = new EventRecorder(client, "job-controller", log, _time);
        _jobs = informers.For(Jobs);
        _pods = informers.For(Pods);
        _jobs.Added += j => Queue.Add(Informer.KeyOf(j));
        _jobs.Updated += (_, j) => Queue.Add(Informer.KeyOf(j));
        _jobs.Deleted += OnJobDeleted;
        _pods.Added += OnPodAdded;
        _pods.Updated += OnPodUpdated;
        _pods.Deleted += p => OnPodDeleted(p, final: true);
    }

    protected override IEnumerable<Informer> Informers => [_jobs, _pods];

    /// <summary>Requeues on this controller's clock (so tests can move time).</summary>
    private void RequeueAfter(string key, TimeSpan delay, CancellationToken ct)
    {
        if (delay <= TimeSpan.Zero)
        {
            Queue.Add(key);
            return;
        }
        _ = Task.Delay(delay, _time, ct).ContinueWith(t => { if (!t.IsCanceled) Queue.Add(key); }, TaskScheduler.Default);
    }

    // ---- event handlers: resolve the owning job and enqueue it ----

    private JsonObject? ResolveControllerRef(string ns, JsonObject? controllerRef)
    {
        if (controllerRef == null || Str(controllerRef["kind"]) != "Job" || Str(controllerRef["apiVersion"]) != "batch/v1") return null;
        var job = _jobs.Get($"{ns}/{Str(controllerRef["name"])}");
        return job != null && ObjectMeta.Uid(job) == Str(controllerRef["uid"]) ? job : null;
    }

    private void OnJobDeleted(JsonObject job)
    {
        var key = Informer.KeyOf(job);
        _expectations.Delete(key);
        _finalizerExpectations.Delete(key);
        _backoff.TryRemove(key, out _);
        foreach (var pod in _pods.List())
            if (ObjectMeta.Namespace(pod) == ObjectMeta.Namespace(job) && PodFacts.IsControlledBy(pod, ObjectMeta.Uid(job)) && PodFacts.HasFinalizer(pod, TrackingFinalizer))
                Queue.Add(OrphanPrefix + Informer.KeyOf(pod));
    }

    private void OnPodAdded(JsonObject pod)
    {
        if (ObjectMeta.IsDeleting(pod))
        {
            OnPodDeleted(pod, final: false);
            return;
        }
        if (ResolveControllerRef(ObjectMeta.Namespace(pod), PodFacts.ControllerRef(pod)) is { } job)
        {
            var key = Informer.KeyOf(job);
            _expectations.CreationObserved(key);
            Queue.Add(key);
            return;
        }
        if (PodFacts.ControllerRef(pod) == null) EnqueueOrphan(pod);
    }

    private void OnPodUpdated(JsonObject old, JsonObject pod)
    {
        if (ObjectMeta.IsDeleting(pod))
        {
            OnPodDeleted(pod, final: false);
            return;
        }
        var finalizerRemoved = !PodFacts.HasFinalizer(pod, TrackingFinalizer);
        var oldRef = PodFacts.ControllerRef(old);
        var curRef = PodFacts.ControllerRef(pod);
        if (oldRef != null && !JsonNode.DeepEquals(oldRef, curRef) && ResolveControllerRef(ObjectMeta.Namespace(old), oldRef) is { } oldJob)
        {
            if (finalizerRemoved) _finalizerExpectations.Observed(Informer.KeyOf(oldJob), ObjectMeta.Uid(pod));
            Queue.Add(Informer.KeyOf(oldJob));
        }
        if (curRef != null)
        {
            if (ResolveControllerRef(ObjectMeta.Namespace(pod), curRef) is not { } job) return;
            var key = Informer.KeyOf(job);
            if (finalizerRemoved) _finalizerExpectations.Observed(key, ObjectMeta.Uid(pod));
            Queue.Add(key);
            return;
        }
        EnqueueOrphan(pod);
    }

    private void OnPodDeleted(JsonObject pod, bool final)
    {
        var controllerRef = PodFacts.ControllerRef(pod);
        var hasFinalizer = PodFacts.HasFinalizer(pod, TrackingFinalizer);
        if (controllerRef == null)
        {
            if (hasFinalizer) Queue.Add(OrphanPrefix + Informer.KeyOf(pod));
            return;
        }
        var job = ResolveControllerRef(ObjectMeta.Namespace(pod), controllerRef);
        if (job == null || ObjectMeta.IsDeleting(job) || IsFinished(job))
        {
            // The job cannot count this pod any more: release it.
            if (hasFinalizer) Queue.Add(OrphanPrefix + Informer.KeyOf(pod));
            if (job == null) return;
        }
        var key = Informer.KeyOf(job);
        if (!hasFinalizer || final) _finalizerExpectations.Observed(key, ObjectMeta.Uid(pod));
        _expectations.DeletionObserved(key);
        Queue.Add(key);
    }

    /// <summary>A pod without a controller: drop a leftover tracking finalizer, and wake jobs that may adopt it.</summary>
    private void EnqueueOrphan(JsonObject pod)
    {
        if (PodFacts.HasFinalizer(pod, TrackingFinalizer)) Queue.Add(OrphanPrefix + Informer.KeyOf(pod));
        var ns = ObjectMeta.Namespace(pod);
        foreach (var job in _jobs.List())
        {
            if (ObjectMeta.Namespace(job) != ns) continue;
            var selector = LabelSelector.FromLabelSelectorJson(job["spec"]?["selector"] as JsonObject);
            if (!selector.IsEmpty && selector.Matches(ObjectMeta.Labels(pod))) Queue.Add(Informer.KeyOf(job));
        }
    }

    public static bool IsFinished(JsonObject job) =>
        (job["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => Str(c["type"]) is "Complete" or "Failed" && Str(c["status"]) == "True");

    protected override Task ReconcileAsync(string key, CancellationToken ct) =>
        key.StartsWith(OrphanPrefix, StringComparison.Ordinal)
            ? SyncOrphanPodAsync(key[OrphanPrefix.Length..], ct)
            : SyncJobAsync(key, ct);

    /// <summary>Removes the tracking finalizer of a pod no unfinished job owns any more.</summary>
    private async Task SyncOrphanPodAsync(string podKey, CancellationToken ct)
    {
        var pod = _pods.Get(podKey);
        if (pod == null || !PodFacts.HasFinalizer(pod, TrackingFinalizer)) return;
        if (PodFacts.ControllerRef(pod) is { } controllerRef)
        {
            if (Str(controllerRef["kind"]) != "Job" || Str(controllerRef["apiVersion"]) != "batch/v1") return;
            var job = ResolveControllerRef(ObjectMeta.Namespace(pod), controllerRef);
            if (job != null && !IsFinished(job) && !ObjectMeta.IsDeleting(job)) return; // adopted: the job counts it
        }
        await RemoveTrackingFinalizerAsync(pod, ct).ConfigureAwait(false);
    }

    private async Task RemoveTrackingFinalizerAsync(JsonObject pod, CancellationToken ct)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject { ["$deleteFromPrimitiveList/finalizers"] = new JsonArray(TrackingFinalizer) },
        };
        try
        {
            await _client.PatchAsync(Pods, ObjectMeta.Namespace(pod), ObjectMeta.Name(pod), patch, "application/strategic-merge-patch+json", ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
    }

    private sealed class SyncContext
    {
        public required JsonObject Job;
        public required string Key;
        public required JobStatus Status;
        public required List<JsonObject> Pods;
        public required List<JsonObject> ActivePods;
        public required HashSet<string> UncountedSucceeded;
        public required HashSet<string> UncountedFailed;
        public required IReadOnlySet<string> ExpectedRemovedFinalizers;
        public JsonObject? FinishedCondition;
        public int Succeeded;
        public int Failed;
        public int Terminating;
        public int Ready;
        public BackoffRecord NewBackoff = BackoffRecord.None;
        public SortedSet<int> PreviousSucceededIndexes = [];
        public SortedSet<int> SucceededIndexes = [];
    }

    private async Task SyncJobAsync(string key, CancellationToken ct)
    {
        var shared = _jobs.Get(key);
        if (shared == null)
        {
            _expectations.Delete(key);
            _finalizerExpectations.Delete(key);
            _backoff.TryRemove(key, out _);
            return;
        }
        var job = (JsonObject)shared.DeepClone();
        job["apiVersion"] ??= "batch/v1";
        job["kind"] ??= "Job";
        var spec = job["spec"] as JsonObject ?? new JsonObject();
        if (IsFinished(job))
        {
            _backoff.TryRemove(key, out _);
            // Pods still carrying the finalizer (deleted late, or adopted) are released.
            foreach (var pod in _pods.List())
                if (ObjectMeta.Namespace(pod) == ObjectMeta.Namespace(job) && PodFacts.IsControlledBy(pod, ObjectMeta.Uid(job)) && PodFacts.HasFinalizer(pod, TrackingFinalizer))
                    await RemoveTrackingFinalizerAsync(pod, ct).ConfigureAwait(false);
            return;
        }
        if (Str(spec["managedBy"]) is { } managedBy && managedBy != "kubernetes.io/job-controller") return;
        var mode = Str(spec["completionMode"]) ?? "NonIndexed";
        if (mode is not ("NonIndexed" or "Indexed"))
        {
            await _events.EventAsync(job, EventRecorder.Warning, "UnknownCompletionMode", "Skipped Job sync because completion mode is unknown", ct).ConfigureAwait(false);
            return;
        }
        var indexed = mode == "Indexed";
        var now = _time.GetUtcNow();
        var status = JobStatus.Of(job);

        // Expectations first: a pod created after this point is then never missed, just seen next time.
        var satisfied = _expectations.Satisfied(key);
        var pods = await GetPodsForJobAsync(job, ct).ConfigureAwait(false);
        var activePods = pods.Where(PodFacts.IsActive).ToList();
        var x = new SyncContext
        {
            Job = job,
            Key = key,
            Status = status,
            Pods = pods,
            ActivePods = activePods,
            UncountedSucceeded = status.UncountedSucceeded.ToHashSet(),
            UncountedFailed = status.UncountedFailed.ToHashSet(),
            ExpectedRemovedFinalizers = _finalizerExpectations.Get(key),
            Ready = activePods.Count(PodFacts.IsReady),
            Terminating = pods.Count(PodFacts.IsTerminating),
        };
        var active = activePods.Count;
        var newSucceeded = NewlyFinished(x, x.UncountedSucceeded, p => PodFacts.Phase(p) == "Succeeded");
        var newFailed = NewlyFinished(x, x.UncountedFailed, p => IsPodFailed(p, job));
        x.Succeeded = status.Succeeded + newSucceeded.Count + x.UncountedSucceeded.Count;
        x.Failed = status.Failed + newFailed.Count + x.UncountedFailed.Count;

        var suspended = Bool(spec["suspend"]) == true;
        if (status.StartTime == null && !suspended) status.StartTime = ObjectMeta.FormatTime(now);
        x.NewBackoff = _backoff.GetValueOrDefault(key, BackoffRecord.None).With(newSucceeded, newFailed);

        var backoffLimit = Int(spec["backoffLimit"]) ?? 6;
        var deadline = Int(spec["activeDeadlineSeconds"]);
        x.FinishedCondition = status.HasTrueCondition("SuccessCriteriaMet") ? status.Condition("SuccessCriteriaMet") : null;
        if (x.FinishedCondition == null && status.HasTrueCondition("FailureTarget"))
        {
            var target = status.Condition("FailureTarget")!;
            x.FinishedCondition = JobStatus.NewCondition("Failed", "True", Str(target["reason"]) ?? "", Str(target["message"]) ?? "", now);
        }
        if (x.FinishedCondition == null)
        {
            if (x.Failed > backoffLimit || PastBackoffLimitOnFailure(job, pods, backoffLimit))
                x.FinishedCondition = JobStatus.NewCondition("FailureTarget", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now);
            else if (PastActiveDeadline(status, deadline, suspended, now))
                x.FinishedCondition = JobStatus.NewCondition("FailureTarget", "True", "DeadlineExceeded", "Job was active longer than specified deadline", now);
            else if (deadline != null && !suspended && ObjectMeta.ParseTime(JsonValue.Create(status.StartTime)) is { } started)
                RequeueAfter(key, TimeSpan.FromSeconds(deadline.Value) - (now - started), ct);
        }
        if (indexed)
        {
            var completions = (int)(Int(spec["completions"]) ?? 0);
            x.PreviousSucceededIndexes = CompletedIndexes.Parse(status.CompletedIndexes, completions);
            x.SucceededIndexes = new SortedSet<int>(x.PreviousSucceededIndexes);
            foreach (var p in pods)
                if (PodFacts.Phase(p) == "Succeeded" && PodFacts.HasFinalizer(p, TrackingFinalizer) && PodFacts.CompletionIndex(p) is var ix && ix >= 0 && ix < completions)
                    x.SucceededIndexes.Add(ix);
            x.Succeeded = x.SucceededIndexes.Count;
        }

        if (x.FinishedCondition != null)
        {
            var (deletedReady, deleted) = await DeletePodsAsync(job, key, activePods, removeFinalizer: false, ct).ConfigureAwait(false);
            if (deleted != active || !satisfied) x.FinishedCondition = null; // finalizers or unseen pods remain
            active -= deleted;
            x.Terminating += deleted;
            x.Ready -= deletedReady;
        }
        else
        {
            var managed = false;
            if (satisfied && !ObjectMeta.IsDeleting(job))
            {
                active = await ManageJobAsync(x, ct).ConfigureAwait(false);
                managed = true;
            }
            var completionsSet = Int(spec["completions"]);
            var complete = completionsSet == null ? x.Succeeded > 0 && active == 0 : x.Succeeded >= completionsSet && active == 0;
            if (complete)
            {
                x.FinishedCondition = JobStatus.NewCondition("SuccessCriteriaMet", "True", "CompletionsReached", "Reached expected number of succeeded pods", now);
            }
            else if (managed)
            {
                if (suspended)
                {
                    if (status.EnsureCondition("Suspended", "True", "JobSuspended", "Job suspended", now))
                    {
                        await _events.EventAsync(job, EventRecorder.Normal, "Suspended", "Job suspended", ct).ConfigureAwait(false);
                    }
                }
                else if (status.EnsureCondition("Suspended", "False", "JobResumed", "Job resumed", now))
                {
                    await _events.EventAsync(job, EventRecorder.Normal, "Resumed", "Job resumed", ct).ConfigureAwait(false);
                    // activeDeadlineSeconds counts time continuously active, so resuming restarts the clock.
                    status.StartTime = ObjectMeta.FormatTime(now);
                }
            }
        }
        status.Active = active;
        status.Ready = x.Ready;
        status.Terminating = x.Terminating;
        await TrackStatusAndRemoveFinalizersAsync(x, ct).ConfigureAwait(false);
    }

    /// <summary>Pods that finished and are counted for the first time (still with the finalizer, not yet uncounted).</summary>
    private static List<JsonObject> NewlyFinished(SyncContext x, HashSet<string> uncounted, Func<JsonObject, bool> filter)
    {
        var indexed = Str(x.Job["spec"]?["completionMode"]) == "Indexed";
        var completions = Int(x.Job["spec"]?["completions"]) ?? 0;
        return x.Pods.Where(p =>
        {
            var uid = ObjectMeta.Uid(p);
            if (!PodFacts.HasFinalizer(p, TrackingFinalizer) || uncounted.Contains(uid) || x.ExpectedRemovedFinalizers.Contains(uid)) return false;
            if (indexed && (PodFacts.CompletionIndex(p) is var ix && (ix < 0 || ix >= completions))) return false;
            return filter(p);
        }).ToList();
    }

    /// <summary>
    /// isPodFailed: Failed pods; with podReplacementPolicy TerminatingOrFailed also pods deleted before they
    /// finished (they may never reach Failed).
    /// </summary>
    private static bool IsPodFailed(JsonObject pod, JsonObject job)
    {
        if (PodFacts.Phase(pod) == "Failed") return true;
        if (OnlyReplaceFailedPods(job)) return false;
        return ObjectMeta.IsDeleting(pod) && PodFacts.Phase(pod) != "Succeeded";
    }

    private static bool OnlyReplaceFailedPods(JsonObject job) =>
        Str(job["spec"]?["podReplacementPolicy"]) == "Failed" || job["spec"]?["podFailurePolicy"] is JsonObject;

    private static bool PastBackoffLimitOnFailure(JsonObject job, List<JsonObject> pods, long backoffLimit)
    {
        if (Str(job["spec"]?["template"]?["spec"]?["restartPolicy"]) != "OnFailure") return false;
        var restarts = pods.Where(p => PodFacts.Phase(p) is "Running" or "Pending").Sum(PodFacts.RestartCount);
        return backoffLimit == 0 ? restarts > 0 : restarts >= backoffLimit;
    }

    private static bool PastActiveDeadline(JobStatus status, long? deadline, bool suspended, DateTimeOffset now)
    {
        if (deadline == null || status.StartTime == null || suspended) return false;
        var started = ObjectMeta.ParseTime(JsonValue.Create(status.StartTime));
        return started != null && now - started.Value >= TimeSpan.FromSeconds(deadline.Value);
    }

    /// <summary>The job's pods: those it controls and still selects, plus orphans it selects (adopted).</summary>
    private async Task<List<JsonObject>> GetPodsForJobAsync(JsonObject job, CancellationToken ct)
    {
        var ns = ObjectMeta.Namespace(job);
        var uid = ObjectMeta.Uid(job);
        var selector = LabelSelector.FromLabelSelectorJson(job["spec"]?["selector"] as JsonObject);
        var result = new List<JsonObject>();
        var orphans = new List<JsonObject>();
        foreach (var pod in _pods.List())
        {
            if (ObjectMeta.Namespace(pod) != ns) continue;
            var controllerRef = PodFacts.ControllerRef(pod);
            if (controllerRef != null)
            {
                if (Str(controllerRef["uid"]) == uid) result.Add(pod);
                continue;
            }
            if (!selector.IsEmpty && selector.Matches(ObjectMeta.Labels(pod)) && !ObjectMeta.IsDeleting(pod)) orphans.Add(pod);
        }
        if (orphans.Count > 0 && !ObjectMeta.IsDeleting(job))
        {
            // Adoption re-reads the job live: it must still be this job and not going away.
            JsonObject fresh;
            try { fresh = await _client.GetAsync(Jobs, ns, ObjectMeta.Name(job), ct).ConfigureAwait(false); }
            catch (ApiException e) when (e.IsNotFound) { return result; }
            if (ObjectMeta.Uid(fresh) != uid || ObjectMeta.IsDeleting(fresh)) return result;
            foreach (var pod in orphans)
            {
                var meta = new JsonObject
                {
                    ["ownerReferences"] = new JsonArray(ControllerRefOf(job)),
                    ["uid"] = ObjectMeta.Uid(pod),
                };
                if (!IsFinished(job)) meta["finalizers"] = new JsonArray(TrackingFinalizer);
                try
                {
                    result.Add(await _client.PatchAsync(Pods, ns, ObjectMeta.Name(pod), new JsonObject { ["metadata"] = meta }, "application/strategic-merge-patch+json", ct: ct).ConfigureAwait(false));
                }
                catch (ApiException e) when (e.IsNotFound || e.Code == 409 || e.Code == 422)
                {
                }
            }
        }
        return result;
    }

    private static JsonObject ControllerRefOf(JsonObject job) => new()
    {
        ["apiVersion"] = "batch/v1",
        ["kind"] = "Job",
        ["name"] = ObjectMeta.Name(job),
        ["uid"] = ObjectMeta.Uid(job),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };
}
