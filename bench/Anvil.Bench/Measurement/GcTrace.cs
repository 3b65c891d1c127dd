using System.Diagnostics.Tracing;

namespace Anvil.Bench.Measurement;

/// <summary>
/// Where each collection's pause goes (ANVIL_BENCH_GC_TRACE=1): the runtime's own GC events, heard in process. A
/// pause is SuspendEE begin → RestartEE end; suspending is the part spent stopping the running threads, the rest is
/// marking and copying what survived (promoted bytes).
/// </summary>
internal sealed class GcTrace : EventListener
{
    private DateTime _suspendBegin, _suspendEnd, _gcStart;
    private long _gen;
    private readonly List<(long Gen, double SuspendMs, double GcMs, double PauseMs, long Promoted0, long Promoted1, DateTime Begin, DateTime End)> _gcs = [];
    private long _promoted0, _promoted1, _starvation;
    private readonly Dictionary<string, long> _allocations = [];

    public static GcTrace? StartIfAsked() => Environment.GetEnvironmentVariable("ANVIL_BENCH_GC_TRACE") == "1" ? new GcTrace() : null;

    protected override void OnEventSourceCreated(EventSource source)
    {
        // GC (0x1) and thread pool (0x10000) events.
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, Environment.GetEnvironmentVariable("ANVIL_BENCH_ALLOC_TRACE") == "1" ? EventLevel.Verbose : EventLevel.Informational, (EventKeywords)0x10001);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        switch (e.EventName)
        {
            case "GCSuspendEEBegin_V1": _suspendBegin = e.TimeStamp; break;
            case "GCSuspendEEEnd_V1": _suspendEnd = e.TimeStamp; break;
            case "GCStart_V2": _gcStart = e.TimeStamp; _gen = Convert.ToInt64(e.Payload![1]); break;
            case "GCHeapStats_V2":
                _promoted0 = Convert.ToInt64(e.Payload![1]);
                _promoted1 = Convert.ToInt64(e.Payload![3]);
                break;
            case "GCAllocationTick_V4":
                // One event per ~100 KB allocated, naming the type that crossed the line: a sample of what is allocated.
                var type = e.Payload![5] as string ?? "?";
                lock (_allocations) _allocations[type] = _allocations.GetValueOrDefault(type) + Convert.ToInt64(e.Payload![0]);
                break;
            case "ThreadPoolWorkerThreadAdjustmentAdjustment":
                // Reason 6: starvation (work queued, no thread free for a while: the pool injects one).
                if (Convert.ToInt64(e.Payload![2]) == 6) Interlocked.Increment(ref _starvation);
                break;
            case "GCRestartEEEnd_V1":
                lock (_gcs) _gcs.Add((_gen, (_suspendEnd - _suspendBegin).TotalMilliseconds, (e.TimeStamp - _gcStart).TotalMilliseconds,
                    (e.TimeStamp - _suspendBegin).TotalMilliseconds, _promoted0, _promoted1, _suspendBegin, e.TimeStamp));
                break;
        }
    }

    /// <summary>Forgets the collections so far (a phase starts).</summary>
    public void Forget()
    {
        lock (_gcs) _gcs.Clear();
        lock (_allocations) _allocations.Clear();
        Interlocked.Exchange(ref _starvation, 0);
    }

    /// <summary>
    /// Of the operations slower than <paramref name="overMs"/> (wall-clock start and end), how many overlapped a pause
    /// since the last <see cref="Forget"/>: whether collections make the tail.
    /// </summary>
    public string Attribute(IReadOnlyList<(DateTime Start, DateTime End)> slow, double overMs, int total)
    {
        List<(DateTime Begin, DateTime End)> pauses;
        lock (_gcs) pauses = [.. _gcs.Select(g => (g.Begin, g.End))];
        var inPause = slow.Count(op => pauses.Any(p => p.Begin < op.End && p.End > op.Start));
        return $"{slow.Count} of {total} operations over {overMs:0} ms ({100.0 * slow.Count / Math.Max(1, total):0.0} %), {inPause} of them overlapping one of {pauses.Count} GC pauses; " +
            $"thread pool starvation adjustments {Interlocked.Read(ref _starvation)}";
    }

    /// <summary>Prints and forgets the collections since the last call.</summary>
    public void Report(string phase, TextWriter o)
    {
        lock (_allocations)
        {
            var sampled = _allocations.Values.Sum();
            if (sampled > 0)
                o.WriteLine($"  alloc trace {phase}: " + string.Join(", ", _allocations.OrderByDescending(kv => kv.Value).Take(12).Select(kv => $"{kv.Key} {100.0 * kv.Value / sampled:0.0}%")));
            _allocations.Clear();
        }
        lock (_gcs)
        {
            if (_gcs.Count == 0) return;
            o.WriteLine($"  gc trace {phase}: {_gcs.Count} collections; per collection: suspend {_gcs.Average(g => g.SuspendMs):0.00} ms (max {_gcs.Max(g => g.SuspendMs):0.00}), " +
                $"pause {_gcs.Average(g => g.PauseMs):0.00} ms (max {_gcs.Max(g => g.PauseMs):0.00}), promoted gen0 {_gcs.Average(g => g.Promoted0) / 1024:0} KB, gen1 {_gcs.Average(g => g.Promoted1) / 1024:0} KB; gens {string.Join("", _gcs.Select(g => g.Gen))}");
            _gcs.Clear();
        }
    }
}
