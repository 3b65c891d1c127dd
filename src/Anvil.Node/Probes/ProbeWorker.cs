using System.Text.Json.Nodes;
using Anvil.Node.Runtime;

namespace Anvil.Node.Probes;

/// <summary>
/// One probe of one container (pkg/kubelet/prober/worker.go): every period it probes the container's latest
/// instance and turns runs of outcomes into a result once successThreshold or failureThreshold is reached.
/// A new container instance starts over from the type's initial result (readiness Failure, liveness Success,
/// startup Unknown). Liveness and readiness wait for the startup probe; after a liveness or startup failure the
/// worker holds until the container is replaced. Each failed run records a Warning/Unhealthy event.
/// </summary>
public sealed class ProbeWorker
{
    private readonly IProber _prober;
    private readonly Func<ProbeSnapshot?> _snapshot;
    private readonly Func<string, bool> _started;
    private readonly Action<string, string, string> _event;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _kick = new(0, 1);
    private readonly object _gate = new();
    private string _containerId = "";
    private ProbeResult _result;
    private ProbeResult _last = ProbeResult.Unknown;
    private int _run;
    private bool _onHold;

    /// <param name="started">Whether the startup probe of a container instance has succeeded (true when there is none).</param>
    /// <param name="recordEvent">(type, reason, message) of an event about the container.</param>
    public ProbeWorker(ProbeType type, string container, ProbeSpec spec, IProber prober, Func<ProbeSnapshot?> snapshot,
        Func<string, bool> started, Action<string, string, string> recordEvent, TimeProvider? time = null)
    {
        Type = type;
        Container = container;
        Spec = spec;
        _prober = prober;
        _snapshot = snapshot;
        _started = started;
        _event = recordEvent;
        _time = time ?? TimeProvider.System;
        _result = Initial(type);
    }

    public ProbeType Type { get; }
    public string Container { get; }
    public ProbeSpec Spec { get; }

    private static ProbeResult Initial(ProbeType type) => type switch
    {
        ProbeType.Readiness => ProbeResult.Failure,
        ProbeType.Liveness => ProbeResult.Success,
        _ => ProbeResult.Unknown,
    };

    /// <summary>The result for container instance <paramref name="containerId"/>; null when the worker has not seen that instance.</summary>
    public ProbeResult? Result(string containerId)
    {
        lock (_gate) return containerId.Length > 0 && containerId == _containerId ? _result : null;
    }

    /// <summary>Probe soon (a new container instance appeared) instead of at the next period.</summary>
    public void Kick()
    {
        lock (_gate)
        {
            if (_kick.CurrentCount == 0) _kick.Release();
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (await StepOrContinueAsync(ct).ConfigureAwait(false))
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var kicked = _kick.WaitAsync(wait.Token);
                await Task.WhenAny(kicked, Task.Delay(Spec.Period, _time, wait.Token)).ConfigureAwait(false);
                await wait.CancelAsync().ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> StepOrContinueAsync(CancellationToken ct)
    {
        try
        {
            return await StepAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A prober that threw is an errored probe: keep the result, try again next period.
            _event("Warning", "Unhealthy", $"{Type} probe errored: {e.Message}");
            return true;
        }
    }

    /// <summary>One tick (doProbe); false when the worker should stop (the pod finished, or its container will not run again).</summary>
    public async Task<bool> StepAsync(CancellationToken ct)
    {
        var snap = _snapshot();
        if (snap == null) return true;
        var phase = (string?)snap.Pod["status"]?["phase"];
        if (phase is "Succeeded" or "Failed") return false;
        var c = snap.Latest;
        if (c == null) return true;
        lock (_gate)
        {
            if (c.Id != _containerId)
            {
                _containerId = c.Id;
                _result = Initial(Type);
                _last = ProbeResult.Unknown;
                _run = 0;
                _onHold = false;
            }
            if (_onHold) return true;
        }
        if (c.State != ContainerState.Running)
        {
            // Created is the moment before start: only an exited instance counts as failed.
            if (c.State == ContainerState.Exited) Set(c.Id, ProbeResult.Failure);
            var restartPolicy = (string?)snap.Pod["spec"]?["restartPolicy"] ?? "Always";
            return !(c.State == ContainerState.Exited && restartPolicy == "Never");
        }
        if (Type != ProbeType.Startup && !_started(c.Id)) return true;
        if (Type == ProbeType.Startup && Result(c.Id) == ProbeResult.Success) return true;
        var since = c.StartedAt ?? c.CreatedAt;
        if (_time.GetUtcNow() - since < TimeSpan.FromSeconds(Spec.InitialDelaySeconds)) return true;

        var podIP = (string?)snap.Pod["status"]?["podIP"] ?? "";
        var outcome = await _prober.ProbeAsync(Spec, new ProbeTarget(snap.Pod, snap.Container, c.Id, podIP), ct).ConfigureAwait(false);
        if (outcome.Result == ProbeResult.Unknown)
        {
            _event("Warning", "Unhealthy", $"{Type} probe errored: {outcome.Output}");
            return true;
        }
        if (outcome.Result == ProbeResult.Failure) _event("Warning", "Unhealthy", $"{Type} probe failed: {outcome.Output}");
        lock (_gate)
        {
            if (c.Id != _containerId) return true;
            if (_last == outcome.Result) _run++;
            else
            {
                _last = outcome.Result;
                _run = 1;
            }
            if (outcome.Result == ProbeResult.Failure && _run < Spec.FailureThreshold
                || outcome.Result == ProbeResult.Success && _run < Spec.SuccessThreshold)
                return true;
            _result = outcome.Result;
            if (outcome.Result == ProbeResult.Failure && Type is ProbeType.Liveness or ProbeType.Startup)
            {
                // The container will be restarted: stop probing until a new instance shows up.
                _onHold = true;
                _run = 0;
            }
        }
        return true;
    }

    private void Set(string containerId, ProbeResult result)
    {
        lock (_gate)
        {
            if (containerId == _containerId) _result = result;
        }
    }
}
