using System.Text.Json.Nodes;
using Anvil.Node.Probes;
using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

/// <summary>Probe outcomes → results (thresholds, holds, resets) with a scripted prober and a fake clock; no containers.</summary>
public sealed class ProbeWorkerTests
{
    private sealed class FakeTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class ScriptedProber : IProber
    {
        public Queue<ProbeOutcome> Outcomes { get; } = new();
        public int Calls { get; private set; }
        public ProbeTarget? LastTarget { get; private set; }

        public Task<ProbeOutcome> ProbeAsync(ProbeSpec spec, ProbeTarget target, CancellationToken ct)
        {
            Calls++;
            LastTarget = target;
            return Task.FromResult(Outcomes.Dequeue());
        }
    }

    private readonly FakeTime _time = new();
    private readonly ScriptedProber _prober = new();
    private readonly List<string> _events = [];
    private JsonObject _pod = Pod("Running", "Always");
    private ContainerStatus? _latest;
    private bool _started = true;

    private static JsonObject Pod(string phase, string restartPolicy) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "p", ["namespace"] = "ns", ["uid"] = "u1" },
        ["spec"] = new JsonObject { ["restartPolicy"] = restartPolicy, ["containers"] = new JsonArray(new JsonObject { ["name"] = "app" }) },
        ["status"] = new JsonObject { ["phase"] = phase, ["podIP"] = "10.1.2.3" },
    };

    private ContainerStatus Container(string id, ContainerState state = ContainerState.Running, int exitCode = 0) =>
        new(id, "u1", "ns", "p", "app", 0, "busybox", state, _time.Now, _time.Now, state == ContainerState.Exited ? _time.Now : null, exitCode, "", "");

    private ProbeWorker Worker(ProbeType type, string probe)
    {
        _latest ??= Container("c1");
        var spec = ProbeSpec.From(JsonNode.Parse(probe)!.AsObject())!;
        return new ProbeWorker(type, "app", spec, _prober, () => new ProbeSnapshot(_pod, (JsonObject)_pod["spec"]!["containers"]![0]!, _latest),
            _ => _started, (type, reason, message) => _events.Add($"{type} {reason} {message}"), _time);
    }

    private static ProbeOutcome Outcome(char c) => c == 'S' ? ProbeOutcome.Success("ok") : ProbeOutcome.Failure("boom");

    private static char Letter(ProbeResult? r) => r switch { ProbeResult.Success => 'S', ProbeResult.Failure => 'F', ProbeResult.Unknown => 'U', _ => '-' };

    [Theory]
    // Readiness starts Failure; failureThreshold 3 needs three failures in a row to turn it back.
    [InlineData(ProbeType.Readiness, 1, 3, "SFFFS", "SSSFS")]
    [InlineData(ProbeType.Readiness, 1, 3, "SFFSFF", "SSSSSS")]
    [InlineData(ProbeType.Readiness, 2, 1, "SSFSS", "FSFFS")]
    [InlineData(ProbeType.Readiness, 1, 1, "FSF", "FSF")]
    // Liveness starts Success.
    [InlineData(ProbeType.Liveness, 1, 3, "FFSFF", "SSSSS")]
    [InlineData(ProbeType.Liveness, 1, 2, "SFF", "SSF")]
    // Startup starts Unknown.
    [InlineData(ProbeType.Startup, 1, 3, "FFS", "UUS")]
    [InlineData(ProbeType.Startup, 1, 2, "FF", "UF")]
    public async Task Thresholds(ProbeType type, int success, int failure, string outcomes, string results)
    {
        var w = Worker(type, $$$"""{"exec":{"command":["true"]},"successThreshold":{{{success}}},"failureThreshold":{{{failure}}}}""");
        // Not seen yet: no result for the instance.
        Assert.Equal('-', Letter(w.Result("c1")));
        var seen = "";
        foreach (var c in outcomes)
        {
            _prober.Outcomes.Enqueue(Outcome(c));
            Assert.True(await w.StepAsync(CancellationToken.None));
            seen += Letter(w.Result("c1"));
        }
        Assert.Equal(results, seen);
        Assert.Equal(outcomes.Length, _prober.Calls);
        Assert.Equal(outcomes.Count(c => c == 'F'), _events.Count);
    }

    [Fact]
    public async Task LivenessFailureHoldsUntilANewInstanceWhichStartsOver()
    {
        var w = Worker(ProbeType.Liveness, """{"exec":{"command":["true"]},"failureThreshold":1}""");
        _prober.Outcomes.Enqueue(ProbeOutcome.Failure("cat: can't open '/tmp/healthy': No such file or directory\n"));
        await w.StepAsync(CancellationToken.None);
        Assert.Equal(ProbeResult.Failure, w.Result("c1"));
        Assert.Equal(["Warning Unhealthy Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n"], _events);
        // On hold: no more probes of this instance.
        await w.StepAsync(CancellationToken.None);
        Assert.Equal(1, _prober.Calls);
        // The restarted instance is probed again and starts from Success.
        _latest = Container("c2");
        _prober.Outcomes.Enqueue(ProbeOutcome.Success());
        await w.StepAsync(CancellationToken.None);
        Assert.Equal(2, _prober.Calls);
        Assert.Equal(ProbeResult.Success, w.Result("c2"));
        Assert.Null(w.Result("c1"));
    }

    [Fact]
    public async Task InitialDelayCountsFromTheContainerStart()
    {
        var w = Worker(ProbeType.Readiness, """{"httpGet":{"port":80},"initialDelaySeconds":5}""");
        await w.StepAsync(CancellationToken.None);
        _time.Now += TimeSpan.FromSeconds(4);
        await w.StepAsync(CancellationToken.None);
        Assert.Equal(0, _prober.Calls);
        _time.Now += TimeSpan.FromSeconds(1);
        _prober.Outcomes.Enqueue(ProbeOutcome.Success());
        await w.StepAsync(CancellationToken.None);
        Assert.Equal(1, _prober.Calls);
        Assert.Equal(ProbeResult.Success, w.Result("c1"));
        Assert.Equal("10.1.2.3", _prober.LastTarget!.PodIP);
        Assert.Equal("c1", _prober.LastTarget.ContainerId);
    }

    [Fact]
    public async Task LivenessAndReadinessWaitForTheStartupProbe()
    {
        _started = false;
        var readiness = Worker(ProbeType.Readiness, """{"tcpSocket":{"port":80}}""");
        var liveness = Worker(ProbeType.Liveness, """{"tcpSocket":{"port":80}}""");
        await readiness.StepAsync(CancellationToken.None);
        await liveness.StepAsync(CancellationToken.None);
        Assert.Equal(0, _prober.Calls);
        _started = true;
        _prober.Outcomes.Enqueue(ProbeOutcome.Success());
        await readiness.StepAsync(CancellationToken.None);
        Assert.Equal(1, _prober.Calls);
    }

    [Fact]
    public async Task StartupStopsProbingOnceSucceeded()
    {
        var w = Worker(ProbeType.Startup, """{"exec":{"command":["true"]}}""");
        _prober.Outcomes.Enqueue(ProbeOutcome.Success());
        await w.StepAsync(CancellationToken.None);
        await w.StepAsync(CancellationToken.None);
        Assert.Equal(1, _prober.Calls);
        Assert.Equal(ProbeResult.Success, w.Result("c1"));
    }

    [Fact]
    public async Task ErrorsKeepTheResultAndSayErrored()
    {
        var w = Worker(ProbeType.Readiness, """{"httpGet":{"port":"http"},"failureThreshold":1}""");
        _prober.Outcomes.Enqueue(ProbeOutcome.Success());
        await w.StepAsync(CancellationToken.None);
        _prober.Outcomes.Enqueue(ProbeOutcome.Error("couldn't find port: http in container app"));
        await w.StepAsync(CancellationToken.None);
        Assert.Equal(ProbeResult.Success, w.Result("c1"));
        Assert.Equal(["Warning Unhealthy Readiness probe errored: couldn't find port: http in container app"], _events);
    }

    [Theory]
    [InlineData("Succeeded", "Always", ContainerState.Exited, false)]
    [InlineData("Failed", "OnFailure", ContainerState.Exited, false)]
    [InlineData("Running", "Never", ContainerState.Exited, false)]
    [InlineData("Running", "Always", ContainerState.Exited, true)]
    [InlineData("Running", "Never", ContainerState.Created, true)]
    public async Task StopsWhenThePodFinishesOrTheContainerWillNotRunAgain(string phase, string restartPolicy, ContainerState state, bool goOn)
    {
        _pod = Pod(phase, restartPolicy);
        _latest = Container("c1", state, 1);
        var w = Worker(ProbeType.Readiness, """{"exec":{"command":["true"]}}""");
        Assert.Equal(goOn, await w.StepAsync(CancellationToken.None));
        Assert.Equal(0, _prober.Calls);
    }

    [Fact]
    public void DefaultsOfTheApi()
    {
        var s = ProbeSpec.From(JsonNode.Parse("""{"exec":{"command":["true"]}}""")!.AsObject())!;
        Assert.Equal((0, 10, 1, 1, 3, (long?)null), (s.InitialDelaySeconds, s.PeriodSeconds, s.TimeoutSeconds, s.SuccessThreshold, s.FailureThreshold, s.TerminationGracePeriodSeconds));
    }
}
