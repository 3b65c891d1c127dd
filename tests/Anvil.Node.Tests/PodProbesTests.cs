using System.Text.Json.Nodes;
using Anvil.Node.Probes;
using Anvil.Node.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Node.Tests;

/// <summary>Per-pod probe state → containerStatuses started/ready and the kill decision, stepping the workers by hand.</summary>
public sealed class PodProbesTests
{
    private sealed class Always(ProbeResult result) : IProber
    {
        public ProbeResult Result { get; set; } = result;
        public Task<ProbeOutcome> ProbeAsync(ProbeSpec spec, ProbeTarget target, CancellationToken ct) =>
            Task.FromResult(new ProbeOutcome(Result, "out"));
    }

    private static JsonObject Pod(string probes, string restartPolicy = "Always") => JsonNode.Parse($$$"""
        {"metadata":{"name":"p","namespace":"ns","uid":"u1"},
         "spec":{"restartPolicy":"{{{restartPolicy}}}","terminationGracePeriodSeconds":7,"containers":[{"name":"app"{{{probes}}}},{"name":"plain"}]},
         "status":{"phase":"Running","podIP":"10.1.2.3"}}
        """)!.AsObject();

    private static ContainerStatus Running(string id, string name = "app") =>
        new(id, "u1", "ns", "p", name, 0, "busybox", ContainerState.Running, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, null, 0, "", "");

    private static async Task StepAllAsync(PodProbes probes)
    {
        foreach (var w in probes.Workers.Values) await w.StepAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ReadinessDrivesReadyAndStartupDrivesStarted()
    {
        var prober = new Always(ProbeResult.Failure);
        var probes = new PodProbes(prober, null, NullLogger.Instance, run: false);
        var pod = Pod(""","startupProbe":{"exec":{"command":["x"]},"failureThreshold":5},"readinessProbe":{"exec":{"command":["x"]},"failureThreshold":1}""");
        probes.Update(pod, [Running("c1"), Running("c2", "plain")]);
        Assert.Equal([("app", ProbeType.Readiness), ("app", ProbeType.Startup)], probes.Workers.Keys.Order().ToList());
        // No probes: started and ready as soon as it runs.
        Assert.Equal((true, true), probes.Status("plain", Running("c2", "plain")));
        Assert.Equal((false, false), probes.Status("app", Running("c1")));
        await StepAllAsync(probes);
        Assert.Equal((false, false), probes.Status("app", Running("c1")));
        prober.Result = ProbeResult.Success;
        // The startup probe steps first: started, then readiness runs and succeeds.
        await StepAllAsync(probes);
        Assert.Equal((true, true), probes.Status("app", Running("c1")));
        prober.Result = ProbeResult.Failure;
        await StepAllAsync(probes);
        Assert.Equal((true, false), probes.Status("app", Running("c1")));
        Assert.Null(probes.Unhealthy(pod, "app", Running("c1")));
        Assert.Equal((false, false), probes.Status("app", Running("c1") with { State = ContainerState.Exited }));
    }

    [Theory]
    [InlineData(""","livenessProbe":{"exec":{"command":["x"]},"failureThreshold":1}""", ProbeType.Liveness, 7)]
    [InlineData(""","livenessProbe":{"exec":{"command":["x"]},"failureThreshold":1,"terminationGracePeriodSeconds":2}""", ProbeType.Liveness, 2)]
    [InlineData(""","startupProbe":{"exec":{"command":["x"]},"failureThreshold":1}""", ProbeType.Startup, 7)]
    public async Task FailedLivenessOrStartupMeansKill(string probe, ProbeType type, int grace)
    {
        var probes = new PodProbes(new Always(ProbeResult.Failure), null, NullLogger.Instance, run: false);
        var pod = Pod(probe);
        probes.Update(pod, [Running("c1")]);
        Assert.Null(probes.Unhealthy(pod, "app", Running("c1")));
        await StepAllAsync(probes);
        Assert.Equal((type, TimeSpan.FromSeconds(grace)), probes.Unhealthy(pod, "app", Running("c1")));
        // The replacement instance is not condemned by its predecessor's result.
        probes.Update(pod, [Running("c2")]);
        Assert.Null(probes.Unhealthy(pod, "app", Running("c2")));
    }

    [Fact]
    public async Task NoWorkersForADeletingPodAndStopIsBounded()
    {
        var probes = new PodProbes(new Always(ProbeResult.Success), null, NullLogger.Instance);
        var pod = Pod(""","readinessProbe":{"exec":{"command":["x"]},"periodSeconds":1}""");
        pod["metadata"]!["deletionTimestamp"] = "2026-01-01T00:00:00Z";
        probes.Update(pod, [Running("c1")]);
        Assert.Empty(probes.Workers);
        pod["metadata"]!.AsObject().Remove("deletionTimestamp");
        probes.Update(pod, [Running("c1")]);
        Assert.Single(probes.Workers);
        await probes.StopAsync();
        probes.Update(pod, [Running("c1")]);
        Assert.Single(probes.Workers);
    }
}
