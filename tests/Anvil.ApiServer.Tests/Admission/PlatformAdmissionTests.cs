using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Tests.Admission;

/// <summary>ApiServerOptions.PlatformAdmission plugins run after LimitRanger and before ResourceQuota.</summary>
public sealed class PlatformAdmissionTests
{
    private sealed class Probe : IAdmissionPlugin
    {
        public string Name => "Probe";
        public string? SeenAnnotation;

        public ValueTask MutateAsync(AdmissionAttributes a, CancellationToken ct)
        {
            if (a.Resource.Resource == "pods" && a.Object != null)
                SeenAnnotation = a.Object["metadata"]?["annotations"]?[LimitRanger.Annotation]?.GetValue<string>();
            return ValueTask.CompletedTask;
        }

        public ValueTask ValidateAsync(AdmissionAttributes a, CancellationToken ct)
        {
            if (a.Resource.Resource == "pods" && a.Name == "refused")
                throw StatusError.Forbidden(a.Resource.GroupResource, a.Name, "refused by the platform");
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task PlatformPluginsSitBetweenLimitRangerAndResourceQuota()
    {
        var dir = Directory.CreateTempSubdirectory("anvil-platform-admission-").FullName;
        var probe = new Probe();
        try
        {
            await using var host = new ApiServerHost(new ApiServerOptions { DataDir = dir, Port = TestPorts.FreePort(), PlatformAdmission = _ => [probe], DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" } });
            await host.StartAsync(default);
            var admin = new WriteOptions { User = new UserInfo("admin", ["system:masters"]) };
            ResourceDefinition Def(string r) => host.Catalog.Find("", "v1", r)!;
            JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;
            await host.Resources.CreateAsync(Def("limitranges"), "default", Obj("""{"metadata":{"name":"lr"},"spec":{"limits":[{"type":"Container","default":{"cpu":"100m"}}]}}"""), admin, default);
            await host.Resources.CreateAsync(Def("resourcequotas"), "default", Obj("""{"metadata":{"name":"q"},"spec":{"hard":{"pods":"5"}}}"""), admin, default);

            await host.Resources.CreateAsync(Def("pods"), "default", Obj("""{"metadata":{"name":"ok"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}"""), admin, default);
            Assert.Equal("LimitRanger plugin set: cpu request for container c; cpu limit for container c", probe.SeenAnnotation);

            var e = await Assert.ThrowsAsync<StatusError>(() => host.Resources.CreateAsync(Def("pods"), "default",
                Obj("""{"metadata":{"name":"refused"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}"""), admin, default));
            Assert.Equal("pods \"refused\" is forbidden: refused by the platform", e.Message);
            // Quota admission comes after the platform's refusal, so nothing was charged for it.
            var quota = await host.Resources.GetAsync(Def("resourcequotas"), "default", "q", default);
            Assert.Equal("""{"pods":"1"}""", quota["status"]!["used"]!.ToJsonString());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
