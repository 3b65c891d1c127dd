using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Controllers.ResourceQuota;
using Anvil.Controllers.Tests.Harness;

namespace Anvil.Controllers.Tests;

public sealed class ResourceQuotaControllerTests(ApiServerFixture server) : ControllerTest(server), IClassFixture<ApiServerFixture>
{
    private static readonly ResourceRef Quotas = ResourceQuotaController.Quotas;
    private static readonly ResourceRef ConfigMaps = new("", "v1", "configmaps", true);

    private Task<JsonObject> PodAsync(string ns, string name) => Client.CreateAsync(Pods, ns, Parse(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"busybox\",\"resources\":{\"requests\":{\"cpu\":\"100m\"}}}]}}"));

    private Task<JsonObject> UsedAsync(string ns, string what, string expected) =>
        WaitForAsync(Quotas, ns, "q", what, q => q["status"]?["used"]?.ToJsonString() == expected);

    [Fact]
    public async Task StatusFollowsSpecAndFreedUsageComesBack()
    {
        var ns = await Server.NamespaceAsync("quota-sync");
        await PodAsync(ns, "a");
        await PodAsync(ns, "b");
        await Client.CreateAsync(ConfigMaps, ns, Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"""));
        // Objects that predate the quota are counted by the controller.
        await Client.CreateAsync(Quotas, ns, Parse("""
            {"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"q"},"spec":{"hard":{"pods":"5","requests.cpu":"1","count/configmaps":"3"}}}
            """));
        var controller = new ResourceQuotaController(Client, Log);
        Run(ct => controller.RunAsync(2, ct));
        var quota = await UsedAsync(ns, "usage counted", """{"count/configmaps":"1","pods":"2","requests.cpu":"200m"}""");
        Assert.Equal("""{"count/configmaps":"3","pods":"5","requests.cpu":"1"}""", quota["status"]!["hard"]!.ToJsonString());

        // A deletion frees its share.
        await Client.DeleteAsync(Pods, ns, "a");
        await UsedAsync(ns, "pod a released", """{"count/configmaps":"1","pods":"1","requests.cpu":"100m"}""");

        // A finished pod holds no compute resources.
        await SimulatedKubelet.SucceedAsync(Client, await Client.GetAsync(Pods, ns, "b"));
        await UsedAsync(ns, "pod b finished", """{"count/configmaps":"1","pods":"0","requests.cpu":"0"}""");

        // A spec change shows in status.hard.
        quota = await Client.GetAsync(Quotas, ns, "q");
        quota["spec"]!["hard"]!["pods"] = "10";
        await Client.UpdateAsync(Quotas, ns, "q", quota);
        await WaitForAsync(Quotas, ns, "q", "hard updated", q => q["status"]?["hard"]?["pods"]?.GetValue<string>() == "10");
    }
}
