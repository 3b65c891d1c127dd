using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.ApiServer.Tests.Store;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Tests.Admission;

public sealed class ServiceAccountAdmissionTests : IAsyncLifetime
{
    private StoreFixture _f = null!;
    private ServiceAccount _plugin = null!;

    public async Task InitializeAsync()
    {
        _f = await StoreFixture.CreateAsync();
        _plugin = new ServiceAccount(() => _f.Store, () => _f.Resource("serviceaccounts")) { DefaultAccountAttempts = 2, RetryInterval = TimeSpan.FromMilliseconds(1) };
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private Task CreateSaAsync(string json) =>
        _f.Store.CreateAsync(_f.Resource("serviceaccounts"), "ns", StoreFixture.Obj(json), new WriteOptions(), default);

    private async Task<JsonObject> AdmitAsync(string podJson)
    {
        var pod = StoreFixture.Obj(podJson);
        var a = new AdmissionAttributes(AdmissionOperation.Create, _f.Resource("pods"), "", "ns", (string?)pod["metadata"]?["name"] ?? "", pod, null,
            new UserInfo("u", []), false);
        await _plugin.MutateAsync(a, default);
        await _plugin.ValidateAsync(a, default);
        return pod;
    }

    [Fact]
    public async Task DefaultsTheAccountAndMountsTheTokenVolumeInUpstreamShape()
    {
        await CreateSaAsync("""{"metadata":{"name":"default"}}""");
        var pod = await AdmitAsync("""
            {"metadata":{"name":"p"},"spec":{
              "initContainers":[{"name":"i","image":"busybox"}],
              "containers":[{"name":"a","image":"busybox","volumeMounts":[{"name":"x","mountPath":"/x"}]},{"name":"b","image":"busybox"}],
              "volumes":[{"name":"x","emptyDir":{}}]}}
            """);
        var spec = pod["spec"]!;
        Assert.Equal("default", (string?)spec["serviceAccountName"]);
        var volumes = spec["volumes"]!.AsArray();
        Assert.Equal(2, volumes.Count);
        var name = (string)volumes[1]!["name"]!;
        Assert.Matches("^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$", name);
        Assert.Equal(
            """{"name":"NAME","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}""".Replace("NAME", name),
            volumes[1]!.ToJsonString());
        var mount = $$"""{"name":"{{name}}","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}""";
        Assert.Equal(mount, spec["initContainers"]![0]!["volumeMounts"]![0]!.ToJsonString());
        Assert.Equal(mount, spec["containers"]![0]!["volumeMounts"]![1]!.ToJsonString());
        Assert.Equal(mount, spec["containers"]![1]!["volumeMounts"]![0]!.ToJsonString());
    }

    [Theory]
    [InlineData(null, null, true)]
    [InlineData(null, false, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, false)]
    [InlineData(false, null, false)]
    public async Task AutomountFollowsThePodThenTheAccount(bool? podSetting, bool? saSetting, bool mounted)
    {
        await CreateSaAsync(saSetting == null ? """{"metadata":{"name":"robot"}}""" : $$"""{"metadata":{"name":"robot"},"automountServiceAccountToken":{{(saSetting.Value ? "true" : "false")}}}""");
        var podSpec = podSetting == null ? "" : ",\"automountServiceAccountToken\":" + (podSetting.Value ? "true" : "false");
        var pod = await AdmitAsync("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"serviceAccountName\":\"robot\",\"containers\":[{\"name\":\"a\",\"image\":\"busybox\"}]" + podSpec + "}}");
        Assert.Equal(mounted, pod["spec"]!["volumes"] != null);
        Assert.Equal(mounted, pod["spec"]!["containers"]![0]!["volumeMounts"] != null);
    }

    [Fact]
    public async Task AContainerWithSomethingAtTheTokenPathKeepsIt()
    {
        await CreateSaAsync("""{"metadata":{"name":"default"}}""");
        var pod = await AdmitAsync("""
            {"metadata":{"name":"p"},"spec":{"containers":[
              {"name":"a","image":"busybox","volumeMounts":[{"name":"mine","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}]},
              {"name":"b","image":"busybox"}],"volumes":[{"name":"mine","emptyDir":{}}]}}
            """);
        Assert.Single(pod["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray());
        Assert.StartsWith("kube-api-access-", (string)pod["spec"]!["containers"]![1]!["volumeMounts"]![0]!["name"]!);
    }

    [Theory]
    [InlineData("", "default")]
    [InlineData("robot", "robot")]
    public async Task AMissingAccountIsForbidden(string requested, string looked)
    {
        var spec = requested.Length == 0 ? "" : "\"serviceAccountName\":\"" + requested + "\",";
        var e = await Assert.ThrowsAsync<StatusError>(() => AdmitAsync("{\"metadata\":{\"name\":\"x\"},\"spec\":{" + spec + "\"containers\":[{\"name\":\"a\",\"image\":\"busybox\"}]}}"));
        Assert.Equal(403, e.Code);
        Assert.Equal($"pods \"x\" is forbidden: error looking up service account ns/{looked}: serviceaccount \"{looked}\" not found", e.Message);
    }

    [Fact]
    public async Task ImagePullSecretsComeFromTheAccount()
    {
        await CreateSaAsync("""{"metadata":{"name":"default"},"imagePullSecrets":[{"name":"reg"}]}""");
        var pod = await AdmitAsync("""{"metadata":{"name":"p"},"spec":{"automountServiceAccountToken":false,"containers":[{"name":"a","image":"busybox"}]}}""");
        Assert.Equal("""[{"name":"reg"}]""", pod["spec"]!["imagePullSecrets"]!.ToJsonString());
    }

    [Fact]
    public async Task MirrorPodsMayNotNameAnAccount()
    {
        var e = await Assert.ThrowsAsync<StatusError>(() => AdmitAsync(
            """{"metadata":{"name":"m","annotations":{"kubernetes.io/config.mirror":"x"}},"spec":{"serviceAccountName":"robot","containers":[{"name":"a","image":"busybox"}]}}"""));
        Assert.Equal("pods \"m\" is forbidden: a mirror pod may not reference service accounts", e.Message);
    }
}
