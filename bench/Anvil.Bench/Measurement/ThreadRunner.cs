using System.Diagnostics;

namespace Anvil.Bench.Measurement;

/// <summary>
/// Like <see cref="LoadRunner"/> for blocking work: dedicated OS threads, each with its own state made by
/// <c>setup</c> before the clock starts, run an operation until a count or a time limit is reached.
/// </summary>
internal static class ThreadRunner
{
    /// <param name="setup">Runs on each thread (e.g. opens its connection) and returns the operation, called with (operation index); and what to dispose after.</param>
    public static OpStats Run(string name, int threads, int maxOps, TimeSpan maxTime, Func<int, (Action<int> Op, IDisposable Owner)> setup)
    {
        var claimed = 0;
        var errors = 0;
        string? firstError = null;
        var perThread = new List<double>[threads];
        using var ready = new Barrier(threads + 1);
        long start = 0, deadline = 0, lastEnd = 0;
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var index = t;
            workers[t] = new Thread(() =>
            {
                var latencies = perThread[index] = new List<double>(1024);
                (Action<int> Op, IDisposable Owner)? state = null;
                try
                {
                    state = setup(index);
                }
                catch (Exception e)
                {
                    if (Interlocked.Increment(ref errors) == 1) firstError = $"setup: {e.GetType().Name}: {e.Message}";
                }
                ready.SignalAndWait();
                if (state == null) return;
                using var owner = state.Value.Owner;
                while (true)
                {
                    if (Stopwatch.GetTimestamp() >= Volatile.Read(ref deadline) || Volatile.Read(ref errors) >= LoadRunner.MaxErrors) return;
                    var i = Interlocked.Increment(ref claimed) - 1;
                    if (i >= maxOps) return;
                    var t0 = Stopwatch.GetTimestamp();
                    try
                    {
                        state.Value.Op(i);
                        var t1 = Stopwatch.GetTimestamp();
                        latencies.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                        long seen;
                        while ((seen = Volatile.Read(ref lastEnd)) < t1 && Interlocked.CompareExchange(ref lastEnd, t1, seen) != seen)
                        {
                        }
                    }
                    catch (Exception e)
                    {
                        if (Interlocked.Increment(ref errors) == 1) firstError = $"{e.GetType().Name}: {e.Message}";
                    }
                }
            }) { IsBackground = true, Name = $"bench-{index}" };
            workers[t].Start();
        }
        start = Stopwatch.GetTimestamp();
        Volatile.Write(ref deadline, start + (long)(maxTime.TotalSeconds * Stopwatch.Frequency));
        Volatile.Write(ref lastEnd, start);
        ready.SignalAndWait();
        foreach (var w in workers)
        {
            // Each thread stops at the deadline; allow a slow last operation, then give up on it.
            if (!w.Join(maxTime + TimeSpan.FromSeconds(60)))
                throw new TimeoutException($"{name}: thread {w.Name} did not finish");
        }
        var all = new List<double>();
        foreach (var l in perThread) if (l != null) all.AddRange(l);
        var seconds = Stopwatch.GetElapsedTime(start, Math.Max(lastEnd, start + 1)).TotalSeconds;
        return OpStats.From(name, threads, all, errors, seconds, firstError);
    }
}
