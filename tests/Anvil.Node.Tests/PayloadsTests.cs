using System.Text;
using System.Text.Json.Nodes;
using Anvil.Node.Volumes;

namespace Anvil.Node.Tests;

public sealed class PayloadsTests
{
    private static readonly JsonObject Cm = FakeObjects.Obj("""{"metadata":{"name":"cfg"},"data":{"a":"1","b":"2"},"binaryData":{"bin":"AAE="}}""");
    private static readonly JsonObject Secret = FakeObjects.Obj("""{"metadata":{"name":"s"},"data":{"user":"YWRtaW4="}}""");
    private static readonly NodeAllocatable Node = new(4, 8L * 1024 * 1024 * 1024, 0);

    private static string Describe(Dictionary<string, FileProjection> files) =>
        string.Join(";", files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={Encoding.UTF8.GetString(f.Value.Data)}@{Convert.ToString(f.Value.Mode, 8)}"));

    [Theory]
    [InlineData("""{"name":"cfg"}""", "a=1@644;b=2@644;bin=\u0000\u0001@644")]
    [InlineData("""{"name":"cfg","defaultMode":256}""", "a=1@400;b=2@400;bin=\u0000\u0001@400")]
    [InlineData("""{"name":"cfg","items":[{"key":"a","path":"dir/x"},{"key":"b","path":"y","mode":384}]}""", "dir/x=1@644;y=2@600")]
    [InlineData("""{"name":"cfg","optional":true,"items":[{"key":"missing","path":"m"},{"key":"a","path":"a"}]}""", "a=1@644")]
    public void ConfigMapFiles(string source, string expected)
    {
        Assert.Equal(expected, Describe(Payloads.ConfigMap(Cm, FakeObjects.Obj(source))));
    }

    [Theory]
    [InlineData(false, """{"name":"nope"}""", "configmap \"nope\" not found")]
    [InlineData(true, """{"name":"cfg","items":[{"key":"missing","path":"m"}]}""", "configmap references non-existent config key: missing")]
    public void ConfigMapFailures(bool exists, string source, string message)
    {
        var e = Assert.Throws<VolumeSetupException>(() => Payloads.ConfigMap(exists ? Cm : null, FakeObjects.Obj(source)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void OptionalMissingObjectsGiveAnEmptyVolume()
    {
        Assert.Empty(Payloads.ConfigMap(null, FakeObjects.Obj("""{"name":"x","optional":true}""")));
        Assert.Empty(Payloads.Secret(null, FakeObjects.Obj("""{"secretName":"x","optional":true}""")));
    }

    [Theory]
    [InlineData("""{"secretName":"s"}""", "user=admin@644")]
    [InlineData("""{"secretName":"s","defaultMode":256,"items":[{"key":"user","path":"u"}]}""", "u=admin@400")]
    public void SecretFilesAreDecoded(string source, string expected)
    {
        Assert.Equal(expected, Describe(Payloads.Secret(Secret, FakeObjects.Obj(source))));
    }

    [Theory]
    [InlineData(false, """{"secretName":"gone"}""", "secret \"gone\" not found")]
    [InlineData(true, """{"secretName":"s","items":[{"key":"pw","path":"p"}]}""", "references non-existent secret key: pw")]
    public void SecretFailures(bool exists, string source, string message)
    {
        Assert.Equal(message, Assert.Throws<VolumeSetupException>(() => Payloads.Secret(exists ? Secret : null, FakeObjects.Obj(source))).Message);
    }

    private static readonly JsonObject Pod = FakeObjects.Obj("""
        {"metadata":{"name":"p","namespace":"ns","uid":"u-1","labels":{"b":"2","a":"x\"y"},"annotations":{"note":"hi"}},
         "spec":{"nodeName":"n1","serviceAccountName":"robot","containers":[{"name":"c","resources":{"limits":{"cpu":"500m","memory":"64Mi"},"requests":{"cpu":"250m"}}}]}}
        """);

    [Theory]
    [InlineData("metadata.name", "p")]
    [InlineData("metadata.namespace", "ns")]
    [InlineData("metadata.uid", "u-1")]
    [InlineData("metadata.labels", "a=\"x\\\"y\"\nb=\"2\"")]
    [InlineData("metadata.annotations", "note=\"hi\"")]
    [InlineData("metadata.labels['b']", "2")]
    [InlineData("metadata.annotations['note']", "hi")]
    [InlineData("spec.nodeName", "n1")]
    [InlineData("spec.serviceAccountName", "robot")]
    [InlineData("status.hostIP", "10.0.0.1")]
    [InlineData("status.podIP", "10.1.0.5")]
    [InlineData("status.podIPs", "10.1.0.5,fd00::5")]
    public void FieldRefs(string path, string expected)
    {
        Assert.Equal(expected, DownwardApi.FieldValue(Pod, path, "10.0.0.1", ["10.1.0.5", "fd00::5"], out _));
    }

    [Theory]
    [InlineData("limits.cpu", null, "1")]
    [InlineData("limits.cpu", "1m", "500")]
    [InlineData("requests.cpu", "1m", "250")]
    [InlineData("limits.memory", null, "67108864")]
    [InlineData("limits.memory", "1Mi", "64")]
    [InlineData("requests.memory", null, "0")]
    [InlineData("limits.ephemeral-storage", null, "0")]
    public void ResourceFieldRefs(string resource, string? divisor, string expected)
    {
        var c = (JsonObject)Pod["spec"]!["containers"]![0]!;
        Assert.Equal(expected, DownwardApi.ResourceValue(c, resource, divisor, Node, out _));
    }

    [Fact]
    public void UnsetLimitsReadAsTheNodesAllocatable()
    {
        var c = FakeObjects.Obj("""{"name":"c"}""");
        Assert.Equal("4", DownwardApi.ResourceValue(c, "limits.cpu", null, Node, out _));
        Assert.Equal("8192", DownwardApi.ResourceValue(c, "limits.memory", "1Mi", Node, out _));
    }

    [Fact]
    public void DownwardApiVolumeFiles()
    {
        var source = FakeObjects.Obj("""
            {"items":[{"path":"name","fieldRef":{"fieldPath":"metadata.name"}},{"path":"labels","fieldRef":{"fieldPath":"metadata.labels"},"mode":256},
              {"path":"cpu","resourceFieldRef":{"containerName":"c","resource":"limits.cpu","divisor":"1m"}}]}
            """);
        Assert.Equal("cpu=500@644;labels=a=\"x\\\"y\"\nb=\"2\"@400;name=p@644", Describe(Payloads.DownwardApi(Pod, source, "h", ["i"], Node)));
    }

    [Fact]
    public async Task ProjectedMergesSourcesWithTheVolumesMode()
    {
        var source = FakeObjects.Obj("""
            {"defaultMode":288,"sources":[{"serviceAccountToken":{"path":"token","expirationSeconds":3607,"audience":"vault"}},
              {"configMap":{"name":"cfg","items":[{"key":"a","path":"ca.crt"}]}},{"secret":{"name":"s"}},
              {"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}]}
            """);
        var asked = new List<(string, long)>();
        var files = await Payloads.ProjectedAsync(Pod, source, n => Task.FromResult<JsonObject?>(n == "cfg" ? Cm : null),
            n => Task.FromResult<JsonObject?>(n == "s" ? Secret : null), (aud, s) => { asked.Add((aud, s)); return Task.FromResult("tok"); }, "h", ["i"], Node);
        Assert.Equal("ca.crt=1@440;namespace=ns@440;token=tok@440;user=admin@440", Describe(files));
        Assert.Equal([("vault", 3607L)], asked);
    }

    [Fact]
    public async Task ProjectedReportsEveryFailingSource()
    {
        var source = FakeObjects.Obj("""{"sources":[{"configMap":{"name":"kube-root-ca.crt"}},{"secret":{"name":"nope"}}]}""");
        var e = await Assert.ThrowsAsync<VolumeSetupException>(() => Payloads.ProjectedAsync(Pod, source, _ => Task.FromResult<JsonObject?>(null),
            _ => Task.FromResult<JsonObject?>(null), (_, _) => Task.FromResult(""), "h", ["i"], Node));
        Assert.Equal("[configmap \"kube-root-ca.crt\" not found, secret \"nope\" not found]", e.Message);
    }
}
