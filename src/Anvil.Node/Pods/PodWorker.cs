using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Anvil.Node.Images;
using Anvil.Node.Probes;
using Anvil.Node.Runtime;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.Pods;

/// <summary>
/// One pod's worker (STYLE §3): a loop that syncs the latest pod object it was given — start init containers in
/// order, then the regular ones, restart per restartPolicy with CrashLoopBackOff, write status — and, once the
/// pod is being deleted, stops its containers within the grace period and deletes the pod object. It resyncs
/// every second while it has live containers (the kubelet's PLEG relist).
/// </summary>
internal sealed class PodWorker
{
    private static readonly TimeSpan s_initialBackoff = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromMinutes(5);

    private readonly NodeAgent _agent;
    private readonly string _uid;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private JsonObject? _pod;
    private bool _gone;
    private bool _sandbox;
    private string? _podIP;
    private readonly Dictionary<string, (string Reason, string Message)> _waiting = [];
    /// <summary>Images whose pull failed: when the next attempt may be made, and the back-off after it fails again.</summary>
    private readonly Dictionary<string, (DateTimeOffset Next, TimeSpan Backoff)> _pullBackoff = [];
    private readonly PodProbes _probes;

    private readonly Volumes.PodVolumeHooks _volumeHooks;
    private Volumes.PodVolumes? _volumes;
    private readonly StartupTrace _trace;
    private readonly Events.ContainerEvents _events;

    public PodWorker(NodeAgent agent, string uid, ILogger log)
    {
        _agent = agent;
        _uid = uid;
        _log = log;
        _probes = new PodProbes(agent.Prober, agent.Events, log);
        _volumeHooks = new Volumes.PodVolumeHooks(agent);
        _trace = new StartupTrace(log);
        _events = new Events.ContainerEvents(agent.Events);
    }

    /// <summary>Hands the worker a newer pod (null: the object is gone from the API).</summary>
    public void Update(JsonObject? pod)
    {
        lock (this)
        {
            if (pod == null) _gone = true;
            else _pod = pod;
        }
        _signal.Release();
    }

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await LoopAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            await _probes.StopAsync().ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            JsonObject? pod;
            bool gone;
            lock (this)
            {
                pod = _pod;
                gone = _gone;
            }
            try
            {
                if (gone || pod == null)
                {
                    await _agent.Runtime.StopPodSandboxAsync(_uid, ct).ConfigureAwait(false);
                    await RemoveAllAsync(ct).ConfigureAwait(false);
                    return;
                }
                if (ObjectMeta.IsDeleting(pod))
                {
                    if (await TerminateAsync(pod, ct).ConfigureAwait(false)) return;
                }
                else
                {
                    await SyncAsync(pod, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogWarning("pod worker uid={Uid} error={Error}", _uid, e.Message);
            }
            try
            {
                await _signal.WaitAsync(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                while (_signal.CurrentCount > 0) await _signal.WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static List<JsonObject> Containers(JsonObject pod, string field) =>
        (pod["spec"]?[field] as JsonArray ?? []).OfType<JsonObject>().ToList();

    private async Task<List<ContainerView>> ViewsAsync(JsonObject pod, IReadOnlyList<ContainerStatus> all, string field)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        var views = new List<ContainerView>();
        foreach (var c in Containers(pod, field))
        {
            var name = Str(c["name"]);
            var mine = all.Where(x => x.Name == name).OrderByDescending(x => x.Attempt).ToList();
            var (reason, message) = _waiting.TryGetValue(name, out var w) ? w : ("", "");
            var (started, ready) = field == "containers" ? _probes.Status(name, mine.FirstOrDefault()) : (true, true);
            views.Add(new ContainerView(name, Str(c["image"]), mine.FirstOrDefault(), mine.Skip(1).FirstOrDefault(), reason, message, started, ready,
                _agent.Images.IdOf(Str(c["image"]))));
        }
        return views;
    }

    private async Task SyncAsync(JsonObject pod, CancellationToken ct)
    {
        _trace.Mark("queued");
        var phase = Str(pod["status"]?["phase"]);
        var all = await _agent.Runtime.ListContainersAsync(_uid, ct).ConfigureAwait(false);
        _trace.Mark("list");
        _probes.Update(pod, all);
        // A finished pod stays finished (also after an agent restart): nothing runs again.
        if (phase is "Succeeded" or "Failed" && !all.Any(c => c.State is ContainerState.Running or ContainerState.Created)) return;
        var restartPolicy = Str(pod["spec"]?["restartPolicy"]) is { Length: > 0 } rp ? rp : "Always";
        if (!_sandbox)
        {
            // Returns once the network namespace exists; its address comes (PodIPAsync) after the containers are created.
            await _agent.Runtime.RunPodSandboxAsync(new PodSandboxConfig(_uid, ObjectMeta.Namespace(pod), ObjectMeta.Name(pod), ObjectMeta.Name(pod), HostNetwork(pod)), ct).ConfigureAwait(false);
            _sandbox = true;
            _podIP = null;
            _trace.Mark("sandbox");
        }
        // Volumes before any container; while one fails, containers wait in ContainerCreating (FailedMount).
        _volumes = await _volumeHooks.SetUpAsync(pod, ct).ConfigureAwait(false);
        _trace.Mark("volumes");
        if (!_volumes.Ready)
        {
            foreach (var c in Containers(pod, "initContainers").Concat(Containers(pod, "containers")))
                if (!all.Any(x => x.Name == Str(c["name"]) && x.State is ContainerState.Running)) _waiting[Str(c["name"])] = ("ContainerCreating", "");
            await PodIPAsync(pod, ct).ConfigureAwait(false);
            await WriteStatusAsync(pod, all, restartPolicy, false, ct).ConfigureAwait(false);
            return;
        }

        // Init containers, one at a time in order.
        var initDone = true;
        var initFailed = false;
        foreach (var spec in Containers(pod, "initContainers"))
        {
            var name = Str(spec["name"]);
            var latest = all.Where(x => x.Name == name).OrderByDescending(x => x.Attempt).FirstOrDefault();
            if (latest is { State: ContainerState.Exited, ExitCode: 0 }) continue;
            initDone = false;
            if (latest is { State: ContainerState.Running }) break;
            if (latest is { State: ContainerState.Created })
            {
                await StartCreatedAsync(pod, name, latest, ct).ConfigureAwait(false);
                break;
            }
            if (latest is { State: ContainerState.Exited } && restartPolicy == "Never")
            {
                initFailed = true;
                break;
            }
            await StartAsync(pod, spec, latest, ct).ConfigureAwait(false);
            break;
        }
        if (initDone)
        {
            foreach (var spec in Containers(pod, "containers"))
            {
                var name = Str(spec["name"]);
                var latest = all.Where(x => x.Name == name).OrderByDescending(x => x.Attempt).FirstOrDefault();
                // A failed liveness or startup probe: kill it, then restart it below per restartPolicy.
                if (latest is { State: ContainerState.Running } && await _probes.KillUnhealthyAsync(_agent.Runtime, pod, name, latest, ct).ConfigureAwait(false))
                    latest = await _agent.Runtime.ContainerStatusAsync(latest.Id, ct).ConfigureAwait(false) ?? latest;
                if (latest is { State: ContainerState.Running }) { _waiting.Remove(name); continue; }
                if (latest is { State: ContainerState.Created })
                {
                    // Made but never started: its start failed, or the agent stopped in between. Left alone, the pod
                    // would wait in ContainerCreating for ever.
                    await StartCreatedAsync(pod, name, latest, ct).ConfigureAwait(false);
                    continue;
                }
                if (latest is { State: ContainerState.Exited } && !(restartPolicy == "Always" || restartPolicy == "OnFailure" && latest.ExitCode != 0))
                {
                    _waiting.Remove(name);
                    continue;
                }
                await StartAsync(pod, spec, latest, ct).ConfigureAwait(false);
            }
            await StartEphemeralAsync(pod, all, ct).ConfigureAwait(false);
        }
        all = await _agent.Runtime.ListContainersAsync(_uid, ct).ConfigureAwait(false);
        _trace.Mark("relist");
        _probes.Update(pod, all);
        await PruneAsync(all, ct).ConfigureAwait(false);
        await PodIPAsync(pod, ct).ConfigureAwait(false);
        await WriteStatusAsync(pod, all, restartPolicy, initFailed, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Ephemeral containers (kubectl debug) run once each, never restarted, in the pod's network and, with
    /// <c>targetContainerName</c>, in that container's process namespace.
    /// </summary>
    private async Task StartEphemeralAsync(JsonObject pod, IReadOnlyList<ContainerStatus> all, CancellationToken ct)
    {
        foreach (var spec in Containers(pod, "ephemeralContainers"))
        {
            var name = Str(spec["name"]);
            if (all.Any(x => x.Name == name)) continue;
            string? target = null;
            if (Str(spec["targetContainerName"]) is { Length: > 0 } targetName)
            {
                target = all.Where(x => x.Name == targetName && x.State == ContainerState.Running).OrderByDescending(x => x.Attempt).FirstOrDefault()?.Id;
                if (target == null)
                {
                    _waiting[name] = ("ContainerCreating", $"target container {targetName} is not running");
                    continue;
                }
            }
            await StartAsync(pod, spec, null, ct, target).ConfigureAwait(false);
        }
    }

    private static bool HostNetwork(JsonObject pod) => pod["spec"]?["hostNetwork"] is JsonValue hn && hn.TryGetValue<bool>(out var h) && h;

    /// <summary>The sandbox's address, once; a failed pod network makes the next sync set the sandbox up again.</summary>
    private async Task PodIPAsync(JsonObject pod, CancellationToken ct)
    {
        if (_podIP != null) return;
        try
        {
            _podIP = HostNetwork(pod) ? _agent.HostIP : await _agent.Runtime.PodSandboxIPAsync(_uid, ct).ConfigureAwait(false) ?? _agent.HostIP;
        }
        catch (IOException)
        {
            _sandbox = false;
            throw;
        }
    }

    /// <summary>Creates and starts the next attempt of a container, unless its image is missing or it is backing off.</summary>
    private async Task StartAsync(JsonObject pod, JsonObject spec, ContainerStatus? latest, CancellationToken ct, string? targetContainerId = null)
    {
        var name = Str(spec["name"]);
        var image = Str(spec["image"]);
        var attempt = latest == null ? 0 : latest.Attempt + 1;
        if (latest is { State: ContainerState.Exited } && attempt >= 2)
        {
            // The first restart is immediate; then 10 s doubling to 5 min, counted from the last exit.
            var backoff = TimeSpan.FromTicks(Math.Min(s_initialBackoff.Ticks << Math.Min(attempt - 2, 10), s_maxBackoff.Ticks));
            if ((latest.FinishedAt ?? DateTimeOffset.UtcNow) + backoff > DateTimeOffset.UtcNow)
            {
                _waiting[name] = ("CrashLoopBackOff",
                    $"back-off {FormatDuration(backoff)} restarting failed container={name} pod={ObjectMeta.Name(pod)}_{ObjectMeta.Namespace(pod)}({_uid})");
                _events.Waiting(pod, name, "CrashLoopBackOff", "");
                return;
            }
        }
        var neverPull = Str(spec["imagePullPolicy"]) == "Never";
        if (!neverPull && _pullBackoff.TryGetValue(image, out var pullBackoff) && pullBackoff.Next > DateTimeOffset.UtcNow)
        {
            _waiting[name] = ("ImagePullBackOff", $"Back-off pulling image \"{image}\"");
            _events.Waiting(pod, name, "ImagePullBackOff", _waiting[name].Message);
            return;
        }
        var pulling = System.Diagnostics.Stopwatch.GetTimestamp();
        var stored = await _agent.Images.ResolveAsync(image, ct).ConfigureAwait(false);
        _trace.Mark("image");
        if (stored == null && neverPull)
        {
            _waiting[name] = ("ErrImageNeverPull", $"Container image \"{image}\" is not present with pull policy of Never");
            _events.Waiting(pod, name, "ErrImageNeverPull", _waiting[name].Message);
            return;
        }
        if (stored == null)
        {
            // The node pulls from its own image store only (`anvil images import` fills it): a missing image is a failed
            // pull, tried again with the kubelet's image back-off, 10 s doubling to 5 min.
            var backoff = _pullBackoff.TryGetValue(image, out var last) ? TimeSpan.FromTicks(Math.Min(last.Backoff.Ticks * 2, s_maxBackoff.Ticks)) : s_initialBackoff;
            _pullBackoff[image] = (DateTimeOffset.UtcNow + backoff, backoff);
            _waiting[name] = ("ErrImagePull", $"image \"{image}\" is not in this node's image store, and the node does not pull from registries (add it with anvil images import)");
            _events.Waiting(pod, name, "ErrImagePull", _waiting[name].Message, image);
            return;
        }
        _pullBackoff.Remove(image);
        _events.Pulled(pod, name, image, Str(spec["imagePullPolicy"]), System.Diagnostics.Stopwatch.GetElapsedTime(pulling), stored.Size);
        try
        {
            var config = await _volumeHooks.ConfigAsync(pod, spec, stored.Rootfs, attempt, stored.Config, _volumes!, ct).ConfigureAwait(false) with { TargetContainerId = targetContainerId };
            _trace.Mark("config");
            var id = await _agent.Runtime.CreateContainerAsync(config, ct).ConfigureAwait(false);
            _trace.Mark("create");
            _events.Created(pod, name);
            await _agent.Runtime.StartContainerAsync(id, ct).ConfigureAwait(false);
            _trace.Mark("start");
            _events.Started(pod, name);
            _waiting.Remove(name);
        }
        catch (Env.ContainerConfigException e)
        {
            _waiting[name] = ("CreateContainerConfigError", e.Message);
            _events.Waiting(pod, name, "CreateContainerConfigError", e.Message);
        }
        catch (IOException e)
        {
            _waiting[name] = ("CreateContainerError", e.Message);
            _events.Waiting(pod, name, "CreateContainerError", e.Message);
        }
    }

    /// <summary>
    /// Starts a container that was created and not started; when that fails, removes it (the next sync makes a new
    /// attempt) and reports the error as a failed create, as the kubelet does.
    /// </summary>
    private async Task StartCreatedAsync(JsonObject pod, string name, ContainerStatus created, CancellationToken ct)
    {
        try
        {
            await _agent.Runtime.StartContainerAsync(created.Id, ct).ConfigureAwait(false);
            _events.Started(pod, name);
            _waiting.Remove(name);
        }
        catch (IOException e)
        {
            _waiting[name] = ("CreateContainerError", e.Message);
            _events.Waiting(pod, name, "CreateContainerError", e.Message);
            _log.LogWarning("pod worker uid={Uid} container={Container} id={Id} created but not started, removed for a new attempt: {Error}", _uid, name, created.Id, e.Message);
            try
            {
                await _agent.Runtime.RemoveContainerAsync(created.Id, ct).ConfigureAwait(false);
            }
            catch (IOException removeError)
            {
                // The status still gets written; the next sync tries again.
                _log.LogWarning("pod worker uid={Uid} container={Container} id={Id} removal failed: {Error}", _uid, name, created.Id, removeError.Message);
            }
        }
    }

    private static string FormatDuration(TimeSpan t) =>
        t.TotalSeconds < 60 ? $"{(int)t.TotalSeconds}s"
        : t.Seconds == 0 ? $"{(int)t.TotalMinutes}m0s" : $"{(int)t.TotalMinutes}m{t.Seconds}s";

    /// <summary>Keeps the latest two instances of each container (status and --previous need them).</summary>
    private async Task PruneAsync(IReadOnlyList<ContainerStatus> all, CancellationToken ct)
    {
        foreach (var group in all.GroupBy(c => c.Name))
            foreach (var old in group.OrderByDescending(c => c.Attempt).Skip(2))
                if (old.State == ContainerState.Exited) await _agent.Runtime.RemoveContainerAsync(old.Id, ct).ConfigureAwait(false);
    }

    private async Task WriteStatusAsync(JsonObject pod, IReadOnlyList<ContainerStatus> all, string restartPolicy, bool initFailed, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var initViews = await ViewsAsync(pod, all, "initContainers").ConfigureAwait(false);
        var views = await ViewsAsync(pod, all, "containers").ConfigureAwait(false);
        var initStatuses = initViews.Select(v => PodStatusBuilder.ContainerStatus(v, true)).ToList();
        var statuses = views.Select(v => PodStatusBuilder.ContainerStatus(v, false)).ToList();
        var unreadyInit = initViews.Where(v => v.Latest is not { State: ContainerState.Exited, ExitCode: 0 }).Select(v => v.Name).ToList();
        var unready = statuses.Where(s => (bool?)s["ready"] != true).Select(s => (string)s["name"]!).ToList();
        var phase = PodStatusBuilder.Phase(restartPolicy, initFailed, unreadyInit.Count == 0, statuses);
        var old = pod["status"] as JsonObject ?? new JsonObject();
        // The sandbox's address; a worker that only tears down keeps what was reported.
        var podIP = _podIP ?? ((string?)old["podIP"] is { Length: > 0 } reported ? reported : _agent.HostIP);
        var status = new JsonObject
        {
            ["phase"] = phase,
            ["conditions"] = PodStatusBuilder.Conditions(old["conditions"] as JsonArray, phase, unreadyInit, unready, now),
            ["hostIP"] = _agent.HostIP,
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = _agent.HostIP }),
            ["podIP"] = podIP,
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = podIP }),
            ["startTime"] = old["startTime"]?.DeepClone() ?? PodStatusBuilder.Time(now),
            ["containerStatuses"] = new JsonArray(statuses.ToArray<JsonNode?>()),
        };
        if (initStatuses.Count > 0) status["initContainerStatuses"] = new JsonArray(initStatuses.ToArray<JsonNode?>());
        // As the kubelet reports them: never ready, not part of the phase or the pod's conditions.
        var ephemeral = (await ViewsAsync(pod, all, "ephemeralContainers").ConfigureAwait(false)).Select(PodStatusBuilder.EphemeralContainerStatus).ToList();
        if (ephemeral.Count > 0) status["ephemeralContainerStatuses"] = new JsonArray(ephemeral.ToArray<JsonNode?>());
        if (Same(old, status)) return;
        try
        {
            var updated = await _agent.Client.PatchAsync(NodeAgent.Pods, ObjectMeta.Namespace(pod), ObjectMeta.Name(pod),
                new JsonObject { ["status"] = status }, subresource: "status", ct: ct).ConfigureAwait(false);
            _trace.Mark("status");
            if (phase == "Running") _trace.Finish($"{ObjectMeta.Namespace(pod)}/{ObjectMeta.Name(pod)}");
            lock (this)
            {
                if (_pod == null || string.CompareOrdinal(ObjectMeta.ResourceVersion(_pod), ObjectMeta.ResourceVersion(updated)) != 0) _pod = updated;
            }
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
    }

    /// <summary>
    /// Whether the stored status already says what <paramref name="status"/> would write. A null in the patch
    /// removes its field (strategic merge patch), so the server never stores the conditions' <c>lastProbeTime: null</c>:
    /// null and absent are the same here, or every resync would send a patch that changes nothing.
    /// </summary>
    internal static bool Same(JsonObject old, JsonObject status)
    {
        foreach (var (k, v) in status)
            if (!SameIgnoringNulls(old[k], v)) return false;
        return true;
    }

    private static bool SameIgnoringNulls(JsonNode? stored, JsonNode? wanted)
    {
        switch (stored, wanted)
        {
            case (JsonObject a, JsonObject b):
                foreach (var (k, v) in b)
                    if (!SameIgnoringNulls(a[k], v)) return false;
                foreach (var (k, v) in a)
                    if (v != null && !b.ContainsKey(k)) return false;
                return true;
            case (JsonArray a, JsonArray b):
                if (a.Count != b.Count) return false;
                for (var i = 0; i < a.Count; i++)
                    if (!SameIgnoringNulls(a[i], b[i])) return false;
                return true;
            default:
                return JsonNode.DeepEquals(stored, wanted);
        }
    }

    /// <summary>Stops the pod's containers within its grace period, then deletes the object; true when done.</summary>
    private async Task<bool> TerminateAsync(JsonObject pod, CancellationToken ct)
    {
        var grace = pod["metadata"]?["deletionGracePeriodSeconds"] is JsonValue g && g.TryGetValue<long>(out var gs) ? gs
            : pod["spec"]?["terminationGracePeriodSeconds"] is JsonValue t && t.TryGetValue<long>(out var ts) ? ts : 30;
        var all = await _agent.Runtime.ListContainersAsync(_uid, ct).ConfigureAwait(false);
        foreach (var c in all.Where(c => c.State is ContainerState.Running).Select(c => c.Name).Distinct()) _events.Killing(pod, c);
        await Task.WhenAll(all.Where(c => c.State is ContainerState.Running or ContainerState.Created)
            .Select(c => _agent.Runtime.StopContainerAsync(c.Id, TimeSpan.FromSeconds(grace), ct))).ConfigureAwait(false);
        await _agent.Runtime.StopPodSandboxAsync(_uid, ct).ConfigureAwait(false);
        all = await _agent.Runtime.ListContainersAsync(_uid, ct).ConfigureAwait(false);
        var restartPolicy = Str(pod["spec"]?["restartPolicy"]) is { Length: > 0 } rp ? rp : "Always";
        _waiting.Clear();
        await WriteStatusAsync(pod, all, restartPolicy, false, ct).ConfigureAwait(false);
        // Resources go before the object does, so a client that saw the pod disappear finds nothing left behind.
        await RemoveAllAsync(ct).ConfigureAwait(false);
        try
        {
            var options = new JsonObject
            {
                ["kind"] = "DeleteOptions",
                ["apiVersion"] = "v1",
                ["gracePeriodSeconds"] = 0,
                ["preconditions"] = new JsonObject { ["uid"] = _uid },
            };
            await _agent.Client.SendAsync(HttpMethod.Delete, NodeAgent.Pods.Path(ObjectMeta.Namespace(pod), ObjectMeta.Name(pod)), options, "application/json", ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound || e.Code == 409)
        {
        }
        return true;
    }

    private async Task RemoveAllAsync(CancellationToken ct)
    {
        foreach (var c in await _agent.Runtime.ListContainersAsync(_uid, ct).ConfigureAwait(false))
            await _agent.Runtime.RemoveContainerAsync(c.Id, ct).ConfigureAwait(false);
        // Again now that the containers' cgroups are gone: the pod's own cgroup directories can go too.
        await _agent.Runtime.StopPodSandboxAsync(_uid, ct).ConfigureAwait(false);
        _agent.Volumes.TearDown(_uid);
    }
}
