using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;
using Anvil.Scheduler.Cache;
using Anvil.Scheduler.Framework;
using Anvil.Scheduler.Queue;
using Microsoft.Extensions.Logging;

namespace Anvil.Scheduler;

/// <summary>
/// kube-scheduler, as a client of the API: watches pods and nodes, takes unscheduled pods whose
/// spec.schedulerName is ours from a priority queue one at a time, filters and scores the nodes from an
/// incrementally kept cache, assumes the pod onto the chosen node and writes the binding in the background
/// (many at once). Failures become a <c>FailedScheduling</c> event and condition PodScheduled=False; the pod
/// waits for a cluster change, then retries with backoff.
/// </summary>
public sealed class Scheduler
{
    public const string DefaultSchedulerName = "default-scheduler";
    public static readonly ResourceRef Pods = new("", "v1", "pods", true);
    public static readonly ResourceRef Nodes = new("", "v1", "nodes", false);

    private readonly KubeClient _client;
    private readonly ILogger _log;
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _time;
    private readonly Informer _pods;
    private readonly Informer _nodes;
    private readonly SchedulerCache _cache = new();
    private readonly SchedulingQueue _queue;
    private readonly SchedulingAlgorithm _algorithm;
    private readonly EventRecorder _events;
    private readonly SemaphoreSlim _bindSlots;
    private readonly SemaphoreSlim _statusSlots = new(8);
    private long _bound, _failed;

    public Scheduler(KubeClient client, ILogger log, SchedulerOptions? options = null, TimeProvider? time = null)
    {
        _client = client;
        _log = log;
        _options = options ?? new SchedulerOptions();
        _time = time ?? TimeProvider.System;
        _queue = new SchedulingQueue(_time);
        _algorithm = new SchedulingAlgorithm(_options.Seed is { } seed ? new Random(seed) : new Random()) { PercentageOfNodesToScore = _options.PercentageOfNodesToScore };
        _events = new EventRecorder(client, _options.SchedulerName, log, _time) { Writers = 2 };
        _bindSlots = new SemaphoreSlim(Math.Max(1, _options.BindParallelism));
        _pods = new Informer(client, Pods, log);
        _nodes = new Informer(client, Nodes, log);
        _pods.Added += OnPodAdded;
        _pods.Updated += OnPodUpdated;
        _pods.Deleted += OnPodDeleted;
        _nodes.Added += n => OnNodeChanged(n);
        _nodes.Updated += (_, n) => OnNodeChanged(n);
        _nodes.Deleted += OnNodeDeleted;
    }

    /// <summary>Pods bound by this scheduler since it started.</summary>
    public long BoundCount => Interlocked.Read(ref _bound);

    /// <summary>Scheduling attempts that found no node.</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    /// <summary>The nodes the cache holds (name, cordoned), for tests that must not race the informers.</summary>
    internal IReadOnlyList<(string Name, bool Unschedulable)> CachedNodes()
    {
        lock (_cache.Gate) return _cache.Nodes.Select(n => (n.Name, n.Unschedulable)).ToList();
    }

    /// <summary>Runs until cancelled: informers, the queue's timers and the scheduling loop.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var background = new List<Task> { _pods.RunAsync(ct), _nodes.RunAsync(ct), FlushLoopAsync(ct) };
        try
        {
            await _nodes.WaitForSyncAsync(ct).ConfigureAwait(false);
            await _pods.WaitForSyncAsync(ct).ConfigureAwait(false);
            _log.LogInformation("scheduler={Name} caches synced", _options.SchedulerName);
            while (!ct.IsCancellationRequested)
            {
                var (pod, cycle) = await _queue.PopAsync(ct).ConfigureAwait(false);
                await ScheduleOneAsync(pod, cycle, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            try { await Task.WhenAll(background).ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    private async Task FlushLoopAsync(CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), _time, ct).ConfigureAwait(false);
                _queue.Flush();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task ScheduleOneAsync(QueuedPod queued, long cycle, CancellationToken ct)
    {
        var obj = _pods.Get(queued.Key);
        if (obj == null || ObjectMeta.Uid(obj) != queued.Uid || IsAssigned(obj) || ObjectMeta.IsDeleting(obj) || !IsResponsible(obj))
        {
            _queue.Done(queued);
            return;
        }
        var pod = PodInfo.From(obj);
        ScheduleResult result;
        lock (_cache.Gate)
        {
            result = _algorithm.Schedule(pod, _cache.Nodes);
            if (result.Succeeded) _cache.Assume(pod, result.Node!.Name);
        }
        if (!result.Succeeded)
        {
            Interlocked.Increment(ref _failed);
            if (result.FailureReason == "Unschedulable") _queue.AddUnschedulable(queued, cycle);
            else _queue.AddBackoff(queued);
            _log.LogInformation("scheduler unschedulable pod={Pod} message={Message}", queued.Key, result.FailureMessage);
            RecordFailure(obj, result.FailureReason, result.FailureMessage!);
            return;
        }
        // Binding runs in the background; the next cycle already sees the pod on its node (assumed).
        await _bindSlots.WaitAsync(ct).ConfigureAwait(false);
        _ = BindAsync(queued, obj, pod, result.Node!.Name, ct);
    }

    private async Task BindAsync(QueuedPod queued, JsonObject obj, PodInfo pod, string node, CancellationToken ct)
    {
        try
        {
            var binding = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Binding",
                ["metadata"] = new JsonObject { ["name"] = pod.Name, ["namespace"] = pod.Namespace, ["uid"] = pod.Uid },
                ["target"] = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = node },
            };
            await _client.SendAsync(HttpMethod.Post, Pods.Path(pod.Namespace, pod.Name, "binding"), binding, "application/json", ct).ConfigureAwait(false);
            _queue.Done(queued);
            Interlocked.Increment(ref _bound);
            Event(obj, EventRecorder.Normal, "Scheduled", $"Successfully assigned {pod.Namespace}/{pod.Name} to {node}");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or IOException)
        {
            lock (_cache.Gate) _cache.Forget(pod.Uid);
            // What the pod held on the node is free again.
            _queue.MoveAllToActiveOrBackoff();
            if (e is ApiException { IsNotFound: true } or ApiException { Code: 409 }) _queue.Done(queued);
            else _queue.AddBackoff(queued);
            _log.LogWarning("scheduler binding failed pod={Pod} node={Node} error={Error}", queued.Key, node, e.Message);
            Event(obj, EventRecorder.Warning, "FailedScheduling", $"Binding rejected: running Bind plugin \"DefaultBinder\": {e.Message}");
        }
        finally
        {
            _bindSlots.Release();
        }
    }

    /// <summary>Queues an event about a pod (never blocks; dropped when the recorder's queue is full).</summary>
    private void Event(JsonObject pod, string type, string reason, string message)
    {
        // The scheduler's events.k8s.io recorder truncates notes to 1024 characters (truncateMessage).
        if (message.Length > 1024) message = message[..1021] + "...";
        _events.Event(EventRecorder.WithKind(pod, "v1", "Pod"), type, reason, message);
    }

    /// <summary>The FailedScheduling event and condition PodScheduled=False with the same message (skipped when unchanged).</summary>
    private void RecordFailure(JsonObject obj, string reason, string message)
    {
        Event(obj, EventRecorder.Warning, "FailedScheduling", message);
        var existing = (obj["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => JsonRead.Str(c["type"]) == "PodScheduled");
        if (existing != null && JsonRead.Str(existing["status"]) == "False" && JsonRead.Str(existing["reason"]) == reason && JsonRead.Str(existing["message"]) == message)
            return;
        var transition = existing != null && JsonRead.Str(existing["status"]) == "False" && existing["lastTransitionTime"] is { } t
            ? t.DeepClone()
            : JsonValue.Create(ObjectMeta.FormatTime(_time.GetUtcNow()));
        var patch = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "PodScheduled", ["status"] = "False", ["lastProbeTime"] = null, ["lastTransitionTime"] = transition,
                    ["reason"] = reason, ["message"] = message,
                }),
            },
        };
        var ns = ObjectMeta.Namespace(obj);
        var name = ObjectMeta.Name(obj);
        _ = Task.Run(async () =>
        {
            await _statusSlots.WaitAsync().ConfigureAwait(false);
            try
            {
                await _client.PatchAsync(Pods, ns, name, patch, "application/strategic-merge-patch+json", "status").ConfigureAwait(false);
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or IOException)
            {
                _log.LogWarning("scheduler status update failed pod={Namespace}/{Name} error={Error}", ns, name, e.Message);
            }
            finally
            {
                _statusSlots.Release();
            }
        });
    }

    private bool IsResponsible(JsonObject pod) =>
        (JsonRead.Str(pod["spec"]?["schedulerName"]) is { Length: > 0 } s ? s : DefaultSchedulerName) == _options.SchedulerName;

    private static bool IsAssigned(JsonObject pod) => JsonRead.Str(pod["spec"]?["nodeName"]) is { Length: > 0 };

    private static int Priority(JsonObject pod) => (int)(JsonRead.Int(pod["spec"]?["priority"]) ?? 0);

    private static bool IsTerminal(JsonObject pod) => JsonRead.Str(pod["status"]?["phase"]) is "Succeeded" or "Failed";

    private void OnPodAdded(JsonObject pod)
    {
        if (IsAssigned(pod))
        {
            if (IsTerminal(pod)) return;
            var info = PodInfo.From(pod);
            lock (_cache.Gate) _cache.AddOrUpdateBoundPod(info);
            return;
        }
        if (IsResponsible(pod) && !ObjectMeta.IsDeleting(pod)) _queue.Add(Informer.KeyOf(pod), ObjectMeta.Uid(pod), Priority(pod));
    }

    private void OnPodUpdated(JsonObject old, JsonObject pod)
    {
        var key = Informer.KeyOf(pod);
        if (IsAssigned(pod))
        {
            _queue.Delete(key);
            if (IsTerminal(pod))
            {
                lock (_cache.Gate) _cache.RemovePod(ObjectMeta.Uid(pod));
                _queue.MoveAllToActiveOrBackoff();
                return;
            }
            var info = PodInfo.From(pod);
            lock (_cache.Gate) _cache.AddOrUpdateBoundPod(info);
            return;
        }
        if (!IsResponsible(pod) || ObjectMeta.IsDeleting(pod)) return;
        // Our own status writes change nothing the filters read: only spec and metadata changes retry a pod.
        if (!_queue.Contains(key) || SchedulingInputsChanged(old, pod))
            _queue.Add(key, ObjectMeta.Uid(pod), Priority(pod));
    }

    private void OnPodDeleted(JsonObject pod)
    {
        _queue.Delete(Informer.KeyOf(pod));
        if (!IsAssigned(pod)) return;
        lock (_cache.Gate) _cache.RemovePod(ObjectMeta.Uid(pod));
        _queue.MoveAllToActiveOrBackoff();
    }

    private void OnNodeChanged(JsonObject node)
    {
        bool changed;
        lock (_cache.Gate) changed = _cache.SetNode(node);
        if (changed) _queue.MoveAllToActiveOrBackoff();
    }

    private void OnNodeDeleted(JsonObject node)
    {
        lock (_cache.Gate) _cache.RemoveNode(ObjectMeta.Name(node));
    }

    private static bool SchedulingInputsChanged(JsonObject old, JsonObject pod) =>
        !JsonNode.DeepEquals(old["spec"], pod["spec"])
        || !JsonNode.DeepEquals(old["metadata"]?["labels"], pod["metadata"]?["labels"])
        || !JsonNode.DeepEquals(old["metadata"]?["annotations"], pod["metadata"]?["annotations"]);
}
