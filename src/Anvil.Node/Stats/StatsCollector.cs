using Anvil.Node.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Node.Stats;

/// <summary>
/// Samples the node (<see cref="HostStats"/>) and every running container's cgroup (<see cref="CgroupStats"/>)
/// every <see cref="Interval"/> and keeps a <see cref="SampleWindow"/> per counter, so CPU is reported as a rate
/// over a window the way metrics-server does. <see cref="SummaryAsync"/> samples on demand (twice, a second
/// apart) when the loop has not produced two node samples yet.
/// </summary>
public sealed class StatsCollector
{
    private readonly IRuntimeService _runtime;
    private readonly CgroupStats _cgroups;
    private readonly HostStats _host;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _sampling = new(1, 1);
    private readonly SampleWindow _node;
    private readonly Dictionary<string, (ContainerStatus Container, SampleWindow Window)> _containers = [];

    public StatsCollector(IRuntimeService runtime, CgroupStats? cgroups = null, HostStats? host = null, TimeProvider? time = null, ILogger? log = null)
    {
        _runtime = runtime;
        _cgroups = cgroups ?? new CgroupStats();
        _host = host ?? new HostStats();
        _time = time ?? TimeProvider.System;
        _log = log ?? NullLogger.Instance;
        _node = new SampleWindow(MaxWindow);
    }

    /// <summary>Time between samples of the background loop.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest window a rate is computed over (metrics-server's default resolution is 15 s).</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromSeconds(15);

    /// <summary>Pause between the two samples taken on demand.</summary>
    public TimeSpan OnDemandGap { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Samples until <paramref name="ct"/> is cancelled; a failed round is logged and the loop goes on.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await SampleAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogWarning("stats sampling failed error={Error}", e.Message);
            }
            try { await Task.Delay(Interval, _time, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Takes one sample of the node and of every running container.</summary>
    public async Task SampleAsync(CancellationToken ct)
    {
        await _sampling.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var running = (await _runtime.ListContainersAsync(null, ct).ConfigureAwait(false)).Where(c => c.State == ContainerState.Running).ToList();
            var now = _time.GetUtcNow();
            var nodeCpu = _host.CpuUsageNanos();
            var nodeMemory = _host.MemoryWorkingSetBytes();
            var readings = new List<(ContainerStatus Container, CpuSample Sample)>();
            foreach (var c in running)
            {
                var cgroup = CgroupStats.ContainerPath(c.PodUid, c.Id);
                if (_cgroups.CpuUsageNanos(cgroup) is { } cpu && _cgroups.MemoryWorkingSetBytes(cgroup) is { } memory)
                    readings.Add((c, new CpuSample(now, cpu, memory)));
            }
            lock (_gate)
            {
                if (nodeCpu is { } nc && nodeMemory is { } nm) _node.Add(new CpuSample(now, nc, nm));
                var seen = new HashSet<string>();
                foreach (var (c, sample) in readings)
                {
                    seen.Add(c.Id);
                    if (!_containers.TryGetValue(c.Id, out var entry)) entry = (c, new SampleWindow(MaxWindow));
                    entry.Window.Add(sample);
                    _containers[c.Id] = (c, entry.Window);
                }
                foreach (var gone in _containers.Keys.Where(k => !seen.Contains(k)).ToList()) _containers.Remove(gone);
            }
        }
        finally
        {
            _sampling.Release();
        }
    }

    /// <summary>The usage known now; samples twice first when there is no node rate yet.</summary>
    public async Task<StatsSummary> SummaryAsync(CancellationToken ct)
    {
        if (Snapshot().Node == null)
        {
            await SampleAsync(ct).ConfigureAwait(false);
            await Task.Delay(OnDemandGap, _time, ct).ConfigureAwait(false);
            await SampleAsync(ct).ConfigureAwait(false);
        }
        return Snapshot();
    }

    /// <summary>The usage from the samples taken so far (no sampling).</summary>
    public StatsSummary Snapshot()
    {
        lock (_gate)
        {
            var containers = new List<ContainerUsage>();
            foreach (var (c, window) in _containers.Values)
                if (window.Current() is { } usage) containers.Add(new ContainerUsage(c.PodUid, c.PodNamespace, c.PodName, c.Name, usage));
            return new StatsSummary(_node.Current(), containers);
        }
    }
}
