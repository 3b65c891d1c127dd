namespace Anvil.Bench.Measurement;

internal static class ParallelIndexes
{
    /// <summary>Runs <paramref name="action"/> for 0..count-1 with at most <paramref name="parallelism"/> at once; the first failure ends the run.</summary>
    public static async Task RunAsync(int count, int parallelism, Func<int, Task> action)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, parallelism).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count) await action(i);
        })).ConfigureAwait(false);
    }
}
