using Anvil.Node.Runtime;
using Anvil.Node.Stats;

namespace Anvil.Node.Tests;

public sealed class StatsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("anvil-stats-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ContainerCgroupIsReadFromCpuacctAndMemory()
    {
        var cg = CgroupStats.ContainerPath("u1", "c1");
        Assert.Equal("/anvil/podu1/c1", cg);
        Write("cpuacct/anvil/podu1/c1/cpuacct.usage", "123456789\n");
        Write("memory/anvil/podu1/c1/memory.usage_in_bytes", "10485760\n");
        Write("memory/anvil/podu1/c1/memory.stat", "cache 100\ninactive_file 7\ntotal_inactive_file 4194304\ntotal_active_file 1\n");
        var stats = new CgroupStats(_dir);
        Assert.Equal(123456789UL, stats.CpuUsageNanos(cg));
        Assert.Equal(6291456UL, stats.MemoryWorkingSetBytes(cg));
    }

    [Fact]
    public void MissingCgroupGivesNoReading()
    {
        var stats = new CgroupStats(_dir);
        Assert.Null(stats.CpuUsageNanos("/anvil/podx/gone"));
        Assert.Null(stats.MemoryWorkingSetBytes("/anvil/podx/gone"));
    }

    [Theory]
    [InlineData(100UL, 40UL, 60UL)]
    [InlineData(100UL, 100UL, 0UL)]
    [InlineData(100UL, 150UL, 0UL)]
    public void WorkingSetIsUsageMinusInactiveFileNotBelowZero(ulong usage, ulong inactive, ulong expected) =>
        Assert.Equal(expected, CgroupStats.WorkingSet(usage, inactive));

    [Fact]
    public void MemoryStatWithoutTotalInactiveFileCountsAllUsage()
    {
        Write("memory/x/memory.usage_in_bytes", "4096");
        Write("memory/x/memory.stat", "cache 1\n");
        Assert.Equal(4096UL, new CgroupStats(_dir).MemoryWorkingSetBytes("/x"));
    }

    [Theory]
    // user nice system idle iowait irq softirq steal guest guest_nice: busy = all but idle and iowait, 10 ms per tick
    [InlineData("cpu  100 2 30 5000 7 1 4 3 0 0\ncpu0 50 1 15 2500 3 0 2 1 0 0\n", 1_400_000_000UL)]
    [InlineData("cpu  10 0 0 99\n", 100_000_000UL)]
    [InlineData("cpu0 1 2 3 4\n", null)]
    [InlineData("cpu  x 0 0 0\n", null)]
    public void ProcStatBusyTime(string text, ulong? expected) => Assert.Equal(expected, HostStats.ParseCpuNanos(text));

    [Theory]
    [InlineData("MemTotal:       24684084 kB\nMemFree:  1 kB\nMemAvailable:   24232740 kB\n", 462176256UL)]
    [InlineData("MemTotal:       1000 kB\n", null)]
    public void MeminfoWorkingSet(string text, ulong? expected) => Assert.Equal(expected, HostStats.ParseWorkingSet(text));

    [Fact]
    public void HostStatsReadFromProcRoot()
    {
        Write("proc/stat", "cpu  1 0 1 0 0 0 0 0\n");
        Write("proc/meminfo", "MemTotal: 10 kB\nMemAvailable: 4 kB\n");
        var host = new HostStats(Path.Combine(_dir, "proc"));
        Assert.Equal(20_000_000UL, host.CpuUsageNanos());
        Assert.Equal(6144UL, host.MemoryWorkingSetBytes());
    }

    [Theory]
    [InlineData(0UL, 2_000_000_000UL, 10.0, 200_000_000UL)] // 2 s of CPU in 10 s = 200m
    [InlineData(500UL, 500UL, 1.0, 0UL)]
    [InlineData(0UL, 3UL, 2.0, 2UL)] // 1.5 rounds to 2
    public void RateIsCpuDeltaOverTime(ulong from, ulong to, double seconds, ulong nanoCores) =>
        Assert.Equal(nanoCores, new CpuSample(T0.AddSeconds(seconds), to, 0).NanoCoresSince(new CpuSample(T0, from, 0)));

    [Fact]
    public void NoRateForEmptyWindowOrCounterGoingBack()
    {
        Assert.Null(new CpuSample(T0, 10, 0).NanoCoresSince(new CpuSample(T0, 5, 0)));
        Assert.Null(new CpuSample(T0.AddSeconds(1), 4, 0).NanoCoresSince(new CpuSample(T0, 5, 0)));
    }

    [Fact]
    public void WindowNeedsTwoSamplesAndSlidesToMaxWindow()
    {
        var w = new SampleWindow(TimeSpan.FromSeconds(15));
        w.Add(new CpuSample(T0, 0, 100));
        Assert.Null(w.Current());
        w.Add(new CpuSample(T0.AddSeconds(5), 1_000_000_000, 200));
        Assert.Equal(new Usage(T0.AddSeconds(5), TimeSpan.FromSeconds(5), 200_000_000, 200), w.Current());
        w.Add(new CpuSample(T0.AddSeconds(10), 2_000_000_000, 300));
        w.Add(new CpuSample(T0.AddSeconds(15), 3_000_000_000, 400));
        Assert.Equal(TimeSpan.FromSeconds(15), w.Current()!.Window);
        w.Add(new CpuSample(T0.AddSeconds(20), 6_000_000_000, 500));
        // The oldest sample (t=0) falls out: the window is t=5..20, 5 s of CPU in 15 s.
        Assert.Equal(new Usage(T0.AddSeconds(20), TimeSpan.FromSeconds(15), 333_333_333, 500), w.Current());
    }

    [Fact]
    public void WindowRestartsWhenTheCounterGoesBack()
    {
        var w = new SampleWindow(TimeSpan.FromSeconds(15));
        w.Add(new CpuSample(T0, 500, 1));
        w.Add(new CpuSample(T0.AddSeconds(1), 100, 1));
        Assert.Equal(1, w.Count);
        Assert.Null(w.Current());
    }

    [Fact]
    public async Task CollectorReportsRunningContainersOnly()
    {
        Write("proc/stat", "cpu  100 0 0 0\n");
        Write("proc/meminfo", "MemTotal: 10 kB\nMemAvailable: 4 kB\n");
        Write("cg/cpuacct/anvil/podu1/c1/cpuacct.usage", "1000000000");
        Write("cg/memory/anvil/podu1/c1/memory.usage_in_bytes", "8192");
        Write("cg/memory/anvil/podu1/c1/memory.stat", "total_inactive_file 4096\n");
        Write("cg/cpuacct/anvil/podu1/c2/cpuacct.usage", "5");
        Write("cg/memory/anvil/podu1/c2/memory.usage_in_bytes", "8192");
        var time = new StepTime(T0);
        var runtime = new FakeRuntime(
            Status("c1", "app", ContainerState.Running),
            Status("c2", "done", ContainerState.Exited));
        var collector = new StatsCollector(runtime, new CgroupStats(Path.Combine(_dir, "cg")), new HostStats(Path.Combine(_dir, "proc")), time);
        await collector.SampleAsync(default);
        Assert.Null(collector.Snapshot().Node);
        Assert.Empty(collector.Snapshot().Containers);

        time.Now = T0.AddSeconds(10);
        Write("proc/stat", "cpu  300 0 0 0\n"); // 2 s busy in 10 s
        Write("cg/cpuacct/anvil/podu1/c1/cpuacct.usage", "3000000000"); // 2 s in 10 s
        await collector.SampleAsync(default);
        var s = collector.Snapshot();
        Assert.Equal(new Usage(T0.AddSeconds(10), TimeSpan.FromSeconds(10), 200_000_000, 6144), s.Node);
        var c = Assert.Single(s.Containers);
        Assert.Equal(new ContainerUsage("u1", "ns", "pod", "app", new Usage(T0.AddSeconds(10), TimeSpan.FromSeconds(10), 200_000_000, 4096)), c);

        // A container that stops is dropped.
        runtime.Containers.Clear();
        time.Now = T0.AddSeconds(15);
        await collector.SampleAsync(default);
        Assert.Empty(collector.Snapshot().Containers);
    }

    [Fact]
    public async Task SummarySamplesTwiceWhenThereIsNoRateYet()
    {
        Write("proc/stat", "cpu  100 0 0 0\n");
        Write("proc/meminfo", "MemTotal: 10 kB\nMemAvailable: 4 kB\n");
        var collector = new StatsCollector(new FakeRuntime(), new CgroupStats(Path.Combine(_dir, "cg")), new HostStats(Path.Combine(_dir, "proc")))
        {
            OnDemandGap = TimeSpan.FromMilliseconds(20),
        };
        var s = await collector.SummaryAsync(default);
        Assert.NotNull(s.Node);
        Assert.Equal(6144UL, s.Node!.MemoryBytes);
    }

    private static ContainerStatus Status(string id, string name, ContainerState state) =>
        new(id, "u1", "ns", "pod", name, 0, "busybox", state, T0, T0, null, 0, "", "");

    private sealed class StepTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class FakeRuntime(params ContainerStatus[] containers) : IRuntimeService
    {
        public List<ContainerStatus> Containers { get; } = [.. containers];

        public (string Name, string Version) Version => ("fake", "0");

        public Task<Anvil.Node.Exec.ExecProcess> ExecAsync(string id, Anvil.Node.Exec.ExecOptions options, CancellationToken ct) => throw new NotSupportedException();

        public Task<ExecSyncResult> ExecSyncAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? podUid, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<ContainerStatus>>([.. Containers]);

        public Task<string> RunPodSandboxAsync(PodSandboxConfig config, CancellationToken ct) => throw new NotSupportedException();
        public Task StopPodSandboxAsync(string podUid, CancellationToken ct) => throw new NotSupportedException();
        public Task<string> CreateContainerAsync(ContainerConfig config, CancellationToken ct) => throw new NotSupportedException();
        public Task StartContainerAsync(string id, CancellationToken ct) => throw new NotSupportedException();
        public Task StopContainerAsync(string id, TimeSpan timeout, CancellationToken ct) => throw new NotSupportedException();
        public Task RemoveContainerAsync(string id, CancellationToken ct) => throw new NotSupportedException();
        public Task<ContainerStatus?> ContainerStatusAsync(string id, CancellationToken ct) => throw new NotSupportedException();
    }
}
