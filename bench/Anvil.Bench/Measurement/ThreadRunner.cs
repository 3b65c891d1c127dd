using System.Diagnostics;

namespace Anvil.Bench.Measurement;

/// <summary>
/// Like <see cref="LoadRunner"/> for blocking work: dedicated OS threads, each with its own state made by
/// <c>setup</c> before the clock starts, run an operation until a count or a time limit is reached.
/// Operations still blocked a grace period after the deadline are interrupted and counted as cut, not as errors.
/// </summary>
internal static class ThreadRunner
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    public static OpStats Run(string name, int threads, int maxOps, TimeSpan maxTime, Func<int, ThreadWork> setup)
    {
        var claimed = 0;
        var errors = 0;
        var cut = 0;
        string? firstError = null;
        var perThread = new List<double>[threads];
        var works = new ThreadWork?[threads];
        using var ready = new Barrier(threads + 1);
        long deadline = 0, lastEnd = 0;
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var index = t;
            workers[t] = new Thread(() =>
            {
                var latencies = perThread[index] = new List<double>(1024);
                try
                {
                    works[index] = setup(index);
                }
                catch (Exception e)
                {
                    if (Interlocked.Increment(ref errors) == 1) firstError = $"setup: {e.GetType().Name}: {e.Message}";
                }
                ready.SignalAndWait();
                var work = works[index];
                if (work == null) return;
                while (true)
                {
                    if (Stopwatch.GetTimestamp() >= Volatile.Read(ref deadline) || Volatile.Read(ref errors) >= LoadRunner.MaxErrors) return;
                    var i = Interlocked.Increment(ref claimed) - 1;
                    if (i >= maxOps) return;
                    var t0 = Stopwatch.GetTimestamp();
                    try
                    {
                        work.Op(i);
                        var t1 = Stopwatch.GetTimestamp();
                        latencies.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                        long seen;
                        while ((seen = Volatile.Read(ref lastEnd)) < t1 && Interlocked.CompareExchange(ref lastEnd, t1, seen) != seen)
                        {
                        }
                    }
                    catch (Exception) when (Stopwatch.GetTimestamp() >= Volatile.Read(ref deadline) + Grace.TotalSeconds * Stopwatch.Frequency)
                    {
                        Interlocked.Increment(ref cut);
                        return;
                    }
                    catch (Exception e)
                    {
                        if (Interlocked.Increment(ref errors) == 1) firstError = $"{e.GetType().Name}: {e.Message}";
                    }
                }
            }) { IsBackground = true, Name = $"bench-{index}" };
            workers[t].Start();
        }
        var start = Stopwatch.GetTimestamp();
        Volatile.Write(ref deadline, start + (long)(maxTime.TotalSeconds * Stopwatch.Frequency));
        Volatile.Write(ref lastEnd, start);
        ready.SignalAndWait();
        var interruptAt = DateTime.UtcNow + maxTime + Grace;
        var giveUpAt = interruptAt + TimeSpan.FromSeconds(60);
        var interrupted = false;
        foreach (var w in workers)
        {
            while (!w.Join(TimeSpan.FromMilliseconds(100)))
            {
                if (!interrupted && DateTime.UtcNow >= interruptAt)
                {
                    interrupted = true;
                    foreach (var work in works) work?.Interrupt?.Invoke();
                }
                if (DateTime.UtcNow >= giveUpAt) throw new TimeoutException($"{name}: thread {w.Name} did not finish");
                if (interrupted)
                {
                    // Interrupts only act between SQLite's busy sleeps; repeat until the thread is out.
                    foreach (var work in works) work?.Interrupt?.Invoke();
                }
            }
        }
        // Disposed only now, so that an interrupt never meets a closed connection.
        foreach (var work in works) work?.Owner.Dispose();
        var all = new List<double>();
        foreach (var l in perThread) if (l != null) all.AddRange(l);
        var seconds = Stopwatch.GetElapsedTime(start, Math.Max(lastEnd, start + 1)).TotalSeconds;
        var note = cut > 0 ? $"{cut} operation(s) still blocked {Grace.TotalSeconds:0} s after the deadline were interrupted" : null;
        return OpStats.From(name, threads, all, errors, seconds, firstError ?? note);
    }
}
