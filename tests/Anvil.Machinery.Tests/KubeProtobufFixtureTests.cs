using System.Text.Json.Nodes;
using Anvil.Machinery.Protobuf;

namespace Anvil.Machinery.Tests;

/// <summary>
/// Bodies captured from the real kubectl 1.32 (Fixtures/Protobuf/README.md): each must decode to the JSON
/// that kubectl itself prints for the same object with --dry-run=client -o json.
/// </summary>
public sealed class KubeProtobufFixtureTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Protobuf", name);

    private static readonly string[] CapturedNames =
    [
        "namespace", "configmap", "secret", "deployment", "job", "job-from-cronjob", "service", "serviceaccount",
        "cronjob", "role", "rolebinding", "poddisruptionbudget", "priorityclass", "resourcequota", "ingress",
        "tokenrequest", "ssar-pods-log", "ssar-kube-system", "ssar-all", "selfsubjectreview", "deleteoptions-drain",
        "deployment-multi", "service-nodeport", "service-externalname", "service-loadbalancer",
        "poddisruptionbudget-min-available", "clusterrole-aggregation", "clusterrole-rules", "clusterrolebinding",
        "priorityclass-global-default", "quota-scopes", "secret-docker", "ingress-default", "tokenrequest-bound",
    ];

    public static TheoryData<string> Captured() => new(CapturedNames);

    [Theory]
    [MemberData(nameof(Captured))]
    public void DecodesToTheJsonKubectlWouldSend(string name)
    {
        var decoded = KubeProtobuf.Decode(File.ReadAllBytes(Fixture(name + ".pb")));

        JsonAssert.Equal(JsonNode.Parse(File.ReadAllText(Fixture(name + ".json"))), decoded);
        var keys = decoded.Select(p => p.Key).Take(2).ToArray();
        Assert.Equal(["apiVersion", "kind"], keys);
    }

    [Fact]
    public void EveryCapturedBodyHasAnExpectation()
    {
        var captured = Directory.GetFiles(Path.GetDirectoryName(Fixture("x"))!, "*.pb").Select(Path.GetFileNameWithoutExtension).Order();
        Assert.Equal(CapturedNames.Order(), captured);
    }

    [Fact]
    public void DeploymentKeepsPointerZeroReplicas()
    {
        var decoded = KubeProtobuf.Decode(File.ReadAllBytes(Fixture("deployment.pb")));

        Assert.Equal(0, decoded["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public void JobFromCronJobCarriesControllerOwnerReference()
    {
        var decoded = KubeProtobuf.Decode(File.ReadAllBytes(Fixture("job-from-cronjob.pb")));

        JsonAssert.Equal(
            """[{"apiVersion":"batch/v1","kind":"CronJob","name":"nightly","uid":"0b6f2c1e-8d3a-4c5e-9f00-1234567890ab","controller":true}]""",
            decoded["metadata"]!["ownerReferences"]);
        Assert.Equal("manual", (string?)decoded["metadata"]!["annotations"]!["cronjob.kubernetes.io/instantiate"]);
        Assert.Equal(0, decoded["spec"]!["backoffLimit"]!.GetValue<int>());
    }
}
