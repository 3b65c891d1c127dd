using System.Text.Json.Nodes;
using Anvil.Controllers.Tests.Harness;
using Anvil.Controllers.TtlAfterFinished;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Tests;

public sealed class TtlAfterFinishedControllerTests(ApiServerFixture server) : ControllerTest(server), IClassFixture<ApiServerFixture>
{
    private async Task CreateFinishedJobAsync(string ns, string name, string ttl, DateTimeOffset finished)
    {
        await Client.CreateAsync(Jobs, ns, Parse("""
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"@@0@@"},
             "spec":{@@1@@"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"main","image":"busybox"}]}}}}
            """.Replace("@@0@@", $"{name}").Replace("@@1@@", $"{ttl}")));
        var t = ObjectMeta.FormatTime(finished);
        await Client.PatchAsync(Jobs, ns, name, Parse("""
            {"status":{"startTime":"@@0@@","completionTime":"@@1@@","succeeded":1,"conditions":[
              {"type":"SuccessCriteriaMet","status":"True","lastProbeTime":"@@2@@","lastTransitionTime":"@@3@@"},
              {"type":"Complete","status":"True","lastProbeTime":"@@4@@","lastTransitionTime":"@@5@@"}]}}
            """.Replace("@@0@@", $"{t}").Replace("@@1@@", $"{t}").Replace("@@2@@", $"{t}").Replace("@@3@@", $"{t}").Replace("@@4@@", $"{t}").Replace("@@5@@", $"{t}")), subresource: "status");
    }

    [Fact]
    public async Task DeletesFinishedJobsOnceTheirTtlPassed()
    {
        var ns = await Server.NamespaceAsync("ttl");
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var controller = new TtlAfterFinishedController(Client, Log, clock);
        Run(ct => controller.RunAsync(1, ct));
        var finished = clock.GetUtcNow();
        await CreateFinishedJobAsync(ns, "short", "\"ttlSecondsAfterFinished\":10,", finished);
        await CreateFinishedJobAsync(ns, "kept", "", finished);

        await Eventually.GetAsync("expiry timer", () => Task.FromResult((clock.PendingTimers > 0, 0, "no timer")));
        Assert.False(ObjectMeta.IsDeleting(await Client.GetAsync(Jobs, ns, "short")));
        clock.Advance(TimeSpan.FromSeconds(10));

        // Deleted in the foreground, as upstream: the garbage collector finishes it once its pods are gone.
        var job = await WaitForAsync(Jobs, ns, "short", "deletion started", j => ObjectMeta.IsDeleting(j));
        Assert.Contains("foregroundDeletion", ObjectMeta.Finalizers(job));
        Assert.False(ObjectMeta.IsDeleting(await Client.GetAsync(Jobs, ns, "kept")));
    }

    [Fact]
    public async Task AlreadyExpiredJobIsDeletedAtOnce()
    {
        var ns = await Server.NamespaceAsync("ttl-zero");
        var controller = new TtlAfterFinishedController(Client, Log);
        Run(ct => controller.RunAsync(1, ct));
        await CreateFinishedJobAsync(ns, "done", "\"ttlSecondsAfterFinished\":0,", DateTimeOffset.UtcNow.AddMinutes(-1));
        await WaitForAsync(Jobs, ns, "done", "deletion started", j => ObjectMeta.IsDeleting(j));
    }
}
