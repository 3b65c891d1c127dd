using System.Text.Json.Nodes;
using Anvil.Client.Events;
using Anvil.Node.Runtime;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.Probes;

/// <summary>
/// The probes of one pod (the kubelet's prober manager, per pod): a <see cref="ProbeWorker"/> per container and
/// probe, started when the pod worker first sees the pod and stopped with it. The pod worker asks it whether a
/// container is started and ready (containerStatuses[].started/ready) and whether one must be killed.
/// </summary>
public sealed class PodProbes
{
    private readonly IProber _prober;
    private readonly EventRecorder? _events;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly Dictionary<(string Container, ProbeType Type), (ProbeWorker Worker, Task Task)> _workers = [];
    private readonly CancellationTokenSource _stop = new();
    private JsonObject? _pod;
    private IReadOnlyList<ContainerStatus> _containers = [];

    private readonly bool _run;

    /// <param name="run">False in tests: workers are made but not run, the test steps them.</param>
    public PodProbes(IProber prober, EventRecorder? events, ILogger log, TimeProvider? time = null, bool run = true)
    {
        _run = run;
        _prober = prober;
        _events = events;
        _log = log;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Workers by container and type (tests).</summary>
    internal IReadOnlyDictionary<(string Container, ProbeType Type), ProbeWorker> Workers
    {
        get { lock (_gate) return _workers.ToDictionary(p => p.Key, p => p.Value.Worker); }
    }

    /// <summary>
    /// The latest pod and runtime containers: starts the workers of probes not running yet (not for a pod being
    /// deleted), and kicks those whose container instance changed so a new one is probed without waiting a period.
    /// </summary>
    public void Update(JsonObject pod, IReadOnlyList<ContainerStatus> containers)
    {
        List<ProbeWorker> kick = [];
        lock (_gate)
        {
            var previous = _containers;
            _pod = pod;
            _containers = containers;
            if (_stop.IsCancellationRequested || pod["metadata"]?["deletionTimestamp"] != null) return;
            foreach (var spec in (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var name = (string?)spec["name"] ?? "";
                foreach (var type in new[] { ProbeType.Startup, ProbeType.Readiness, ProbeType.Liveness })
                {
                    if (_workers.ContainsKey((name, type)) || ProbeSpec.For(spec, type) is not { } probe) continue;
                    var worker = new ProbeWorker(type, name, probe, _prober, () => Snapshot(name), id => Started(name, id),
                        (t, reason, message) => Record(name, t, reason, message), _time);
                    _workers[(name, type)] = (worker, _run ? Task.Run(() => worker.RunAsync(_stop.Token)) : Task.CompletedTask);
                }
                if (Latest(containers, name)?.Id != Latest(previous, name)?.Id)
                    kick.AddRange(_workers.Where(w => w.Key.Container == name).Select(w => w.Value.Worker));
            }
        }
        foreach (var w in kick) w.Kick();
    }

    private static ContainerStatus? Latest(IReadOnlyList<ContainerStatus> all, string name) =>
        all.Where(c => c.Name == name).MaxBy(c => c.Attempt);

    private ProbeSnapshot? Snapshot(string name)
    {
        lock (_gate)
        {
            if (_pod == null) return null;
            var spec = (_pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => (string?)c["name"] == name);
            return spec == null ? null : new ProbeSnapshot(_pod, spec, Latest(_containers, name));
        }
    }

    private ProbeWorker? Worker(string name, ProbeType type)
    {
        lock (_gate) return _workers.TryGetValue((name, type), out var w) ? w.Worker : null;
    }

    /// <summary>containerStatuses[].started: the startup probe succeeded for this instance, or there is none.</summary>
    public bool Started(string name, string containerId) =>
        Worker(name, ProbeType.Startup) is not { } w || w.Result(containerId) == ProbeResult.Success;

    /// <summary>(started, ready) of a container's latest instance as the kubelet reports them; ready needs started.</summary>
    public (bool Started, bool Ready) Status(string name, ContainerStatus? latest)
    {
        if (latest is not { State: ContainerState.Running }) return (false, false);
        if (!Started(name, latest.Id)) return (false, false);
        var ready = Worker(name, ProbeType.Readiness) is not { } w || w.Result(latest.Id) == ProbeResult.Success;
        return (true, ready);
    }

    /// <summary>
    /// The probe whose failure means the running instance must be killed (liveness before startup, as in
    /// computePodActions), with the grace period to kill it with; null when it is healthy.
    /// </summary>
    public (ProbeType Type, TimeSpan Grace)? Unhealthy(JsonObject pod, string name, ContainerStatus latest)
    {
        if (latest.State != ContainerState.Running) return null;
        foreach (var type in new[] { ProbeType.Liveness, ProbeType.Startup })
        {
            if (Worker(name, type) is not { } w || w.Result(latest.Id) != ProbeResult.Failure) continue;
            var podGrace = pod["spec"]?["terminationGracePeriodSeconds"] is JsonValue g && g.TryGetValue<long>(out var s) ? s : 30;
            return (type, TimeSpan.FromSeconds(w.Spec.TerminationGracePeriodSeconds ?? podGrace));
        }
        return null;
    }

    /// <summary>
    /// Kills the running instance of <paramref name="name"/> when its liveness or startup probe failed, with the
    /// kubelet's Killing event; true when it did (the caller then restarts it per restartPolicy).
    /// </summary>
    public async Task<bool> KillUnhealthyAsync(IRuntimeService runtime, JsonObject pod, string name, ContainerStatus latest, CancellationToken ct)
    {
        if (Unhealthy(pod, name, latest) is not { } bad) return false;
        var message = $"Container {name} failed {(bad.Type == ProbeType.Liveness ? "liveness" : "startup")} probe";
        if ((string?)pod["spec"]?["restartPolicy"] != "Never") message += ", will be restarted";
        Record(name, "Normal", "Killing", message);
        _log.LogInformation("probe kill pod={Pod} container={Container} probe={Probe}", (string?)pod["metadata"]?["name"], name, bad.Type);
        await runtime.StopContainerAsync(latest.Id, bad.Grace, ct).ConfigureAwait(false);
        return true;
    }

    private void Record(string container, string type, string reason, string message)
    {
        JsonObject? pod;
        lock (_gate) pod = _pod;
        if (pod == null || _events == null) return;
        var involved = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = pod["metadata"]?.DeepClone(),
        };
        _events.Event(involved, $"spec.containers{{{container}}}", type, reason, message);
    }

    /// <summary>Stops every worker and waits for them (bounded: a probe in flight is cancelled).</summary>
    public async Task StopAsync()
    {
        Task[] tasks;
        lock (_gate)
        {
            _stop.Cancel();
            tasks = _workers.Values.Select(w => w.Task).ToArray();
        }
        try { await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
    }
}
