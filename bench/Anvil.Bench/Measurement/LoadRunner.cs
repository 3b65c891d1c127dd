using System.Diagnostics;

namespace Anvil.Bench.Measurement;

/// <summary>
/// Runs an operation from several concurrent clients until a count or a time limit is reached, recording
/// each call's latency. A phase gives up early after <see cref="MaxErrors"/> failures.
/// </summary>
internal static class LoadRunner
{
    public const int MaxErrors = 50;

    /// <summary>The create p99 target (issue 2): slower operations are matched against GC pauses when traced.</summary>
    private const double SlowMs = 10;

    private static readonly GcTrace? s_gcTrace = GcTrace.StartIfAsked();

    /// <param name="op">Called with (client index, operation index of that client); throws on failure.</param>
    public static async Task<OpStats> RunAsync(string name, int clients, int maxOps, TimeSpan maxTime,
        Func<int, int, CancellationToken, Task> op, CancellationToken ct)
    {
        var claimed = 0;
        var errors = 0;
        string? firstError = null;
        var perClient = new List<double>[clients];
        // With the GC trace on: when the slow operations ran, to see whether they met a collection.
        var slow = new System.Collections.Concurrent.ConcurrentBag<(DateTime, DateTime)>();
        var cpuStart = CpuTime();
        var gcStart = GcFigures.Now();
        var stealStart = CpuSteal.Now();
        s_gcTrace?.Forget();
        var start = Stopwatch.GetTimestamp();
        var wallAtStart = DateTime.UtcNow; // with start: slow operations' wall-clock times are start-relative offsets from it
        var deadline = start + (long)(maxTime.TotalSeconds * Stopwatch.Frequency);
        long lastEnd = start;

        async Task Client(int c)
        {
            var latencies = perClient[c] = new List<double>(1024);
            for (var seq = 0; ; seq++)
            {
                ct.ThrowIfCancellationRequested();
                if (Stopwatch.GetTimestamp() >= deadline || Volatile.Read(ref errors) >= MaxErrors) return;
                if (Interlocked.Increment(ref claimed) > maxOps) return;
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    await op(c, seq, ct).ConfigureAwait(false);
                    var t1 = Stopwatch.GetTimestamp();
                    var ms = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
                    latencies.Add(ms);
                    if (s_gcTrace != null && ms > SlowMs) slow.Add((wallAtStart + Stopwatch.GetElapsedTime(start, t0), wallAtStart + Stopwatch.GetElapsedTime(start, t1)));
                    InterlockedMax(ref lastEnd, t1);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    if (Interlocked.Increment(ref errors) == 1) firstError = $"{e.GetType().Name}: {e.Message}";
                }
            }
        }

        var tasks = new Task[clients];
        for (var c = 0; c < clients; c++)
        {
            var index = c;
            tasks[c] = Task.Run(() => Client(index), CancellationToken.None);
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var all = new List<double>();
        foreach (var l in perClient) all.AddRange(l);
        var seconds = Stopwatch.GetElapsedTime(start, Math.Max(lastEnd, start + 1)).TotalSeconds;
        var cpu = CpuTime() - cpuStart;
        var gc = GcFigures.Now() - gcStart;
        var steal = CpuSteal.PercentSince(stealStart);
        if (s_gcTrace != null && clients > 1)
        {
            var slowest = slow.OrderByDescending(o => o.Item2 - o.Item1).Take(3).Select(o => $"{(o.Item2 - o.Item1).TotalMilliseconds:0} ms at +{(o.Item1 - wallAtStart).TotalMilliseconds:0} ms");
            Console.WriteLine($"  gc trace {name} at {clients}: {s_gcTrace.Attribute([.. slow], SlowMs, all.Count)}; slowest: {string.Join(", ", slowest)}");
        }
        s_gcTrace?.Report($"{name} at {clients}", Console.Out);
        return OpStats.From(name, clients, all, errors, seconds, firstError) with
        {
            CpuMsPerOp = all.Count > 0 ? cpu.TotalMilliseconds / all.Count : double.NaN,
            Gc = gc,
            StealPercent = steal,
        };
    }

    /// <summary>CPU time of this process (server and clients): steadier than wall time on a shared machine.</summary>
    public static TimeSpan CpuTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }
}
