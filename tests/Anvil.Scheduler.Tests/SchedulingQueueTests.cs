using Anvil.Scheduler.Queue;

namespace Anvil.Scheduler.Tests;

public sealed class SchedulingQueueTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 10)]
    [InlineData(12, 10)]
    public void BackoffDoublesFromOneSecondToTen(int attempts, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), SchedulingQueue.BackoffDuration(attempts));

    [Fact]
    public async Task HigherPriorityFirstThenArrival()
    {
        var q = new SchedulingQueue(new ManualTime());
        q.Add("ns/a", "a", 0);
        q.Add("ns/b", "b", 10);
        q.Add("ns/c", "c", 0);
        var order = new List<string>();
        for (var i = 0; i < 3; i++) order.Add((await q.PopAsync(CancellationToken.None)).Pod.Key);
        Assert.Equal(["ns/b", "ns/a", "ns/c"], order);
    }

    [Fact]
    public async Task UnschedulablePodsWaitForAClusterEventThenBackOff()
    {
        var time = new ManualTime();
        var q = new SchedulingQueue(time);
        q.Add("ns/p", "u", 0);
        var (pod, cycle) = await q.PopAsync(CancellationToken.None);
        q.AddUnschedulable(pod, cycle);
        Assert.Equal(1, q.UnschedulableCount);
        time.Now += TimeSpan.FromSeconds(30);
        q.Flush();
        Assert.Equal(1, q.UnschedulableCount);

        q.MoveAllToActiveOrBackoff();
        Assert.Equal(1, q.ActiveCount); // its 1 s backoff is long over
        (pod, cycle) = await q.PopAsync(CancellationToken.None);
        Assert.Equal(2, pod.Attempts);
        q.AddUnschedulable(pod, cycle);
        q.MoveAllToActiveOrBackoff();
        Assert.Equal(1, q.BackoffCount); // 2 s after the second failure
        time.Now += TimeSpan.FromSeconds(1);
        q.Flush();
        Assert.Equal(1, q.BackoffCount);
        time.Now += TimeSpan.FromSeconds(1);
        q.Flush();
        Assert.Equal(1, q.ActiveCount);
    }

    [Fact]
    public async Task AnEventDuringTheCycleSendsTheFailedPodToBackoff()
    {
        var q = new SchedulingQueue(new ManualTime());
        q.Add("ns/p", "u", 0);
        var (pod, cycle) = await q.PopAsync(CancellationToken.None);
        q.MoveAllToActiveOrBackoff();
        q.AddUnschedulable(pod, cycle);
        Assert.Equal(0, q.UnschedulableCount);
        Assert.Equal(1, q.BackoffCount);
    }

    [Fact]
    public async Task UnschedulablePodsGetAnotherTryAfterFiveMinutes()
    {
        var time = new ManualTime();
        var q = new SchedulingQueue(time);
        q.Add("ns/p", "u", 0);
        var (pod, cycle) = await q.PopAsync(CancellationToken.None);
        q.AddUnschedulable(pod, cycle);
        time.Now += TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1);
        q.Flush();
        Assert.Equal(1, q.ActiveCount);
    }

    [Fact]
    public async Task DeletedPodsAreNotPopped()
    {
        var q = new SchedulingQueue(new ManualTime());
        q.Add("ns/a", "a", 0);
        q.Add("ns/b", "b", 0);
        q.Delete("ns/a");
        Assert.Equal("ns/b", (await q.PopAsync(CancellationToken.None)).Pod.Key);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => q.PopAsync(cts.Token));
    }

    [Fact]
    public async Task APodChangedDuringItsCycleIsRetriedAfterBackoff()
    {
        var q = new SchedulingQueue(new ManualTime());
        q.Add("ns/p", "u", 0);
        var (pod, cycle) = await q.PopAsync(CancellationToken.None);
        q.Add("ns/p", "u", 0);
        q.AddUnschedulable(pod, cycle);
        Assert.Equal((0, 1), (q.UnschedulableCount, q.BackoffCount));
    }
}
