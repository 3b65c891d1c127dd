using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry.Core;
using static Anvil.ApiServer.Tests.Registry.StrategyHarness;

namespace Anvil.ApiServer.Tests.Registry;

public sealed class PodEphemeralContainersStrategyTests
{
    private static JsonObject Stored(string ephemeral = "")
    {
        var (pod, errors) = Create(PodStrategy.Instance, """
            {"metadata":{"name":"web","namespace":"ns","labels":{"app":"web"}},
             "spec":{"containers":[{"name":"app","image":"anvil.local/busybox"}],"initContainers":[{"name":"init","image":"anvil.local/busybox"}]}}
            """);
        Assert.Empty(errors);
        pod["metadata"]!["resourceVersion"] = "7";
        pod["metadata"]!["uid"] = "u-1";
        pod["status"] = new JsonObject { ["phase"] = "Running" };
        if (ephemeral.Length > 0) pod["spec"]!["ephemeralContainers"] = JsonNode.Parse(ephemeral);
        return pod;
    }

    /// <summary>The pod as a client sends it back with <paramref name="ephemeral"/> as spec.ephemeralContainers.</summary>
    private static string Request(JsonObject stored, string ephemeral, Action<JsonObject>? more = null)
    {
        var pod = (JsonObject)stored.DeepClone();
        pod["spec"]!["ephemeralContainers"] = JsonNode.Parse(ephemeral);
        more?.Invoke(pod);
        return pod.ToJsonString();
    }

    private const string Debugger = """[{"name":"debugger-x","image":"anvil.local/busybox","targetContainerName":"app","stdin":true,"tty":true,"resources":{}}]""";

    [Fact]
    public void AddsAnEphemeralContainerAndNothingElse()
    {
        var stored = Stored();
        var (obj, errors) = Update(PodEphemeralContainersStrategy.Instance, stored, Request(stored, Debugger, p =>
        {
            // Other changes in the same request are dropped, as dropNonEphemeralContainerUpdates does.
            p["metadata"]!["labels"] = new JsonObject { ["app"] = "changed" };
            p["spec"]!["containers"]![0]!["image"] = "anvil.local/other";
            p["status"] = new JsonObject { ["phase"] = "Failed" };
        }));
        Assert.Empty(errors);
        Assert.Equal("web", (string?)obj["metadata"]!["labels"]!["app"]);
        Assert.Equal("anvil.local/busybox", (string?)obj["spec"]!["containers"]![0]!["image"]);
        Assert.Equal("Running", (string?)obj["status"]!["phase"]);
        // Defaulted like any container.
        AssertJsonEqual("""
            {"image":"anvil.local/busybox","imagePullPolicy":"Always","name":"debugger-x","resources":{},"stdin":true,"targetContainerName":"app",
             "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","tty":true}
            """, obj["spec"]!["ephemeralContainers"]![0]);
    }

    [Theory]
    [InlineData("""[{"name":"d","image":"i","ports":[{"containerPort":80}]}]""", "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container")]
    [InlineData("""[{"name":"d","image":"i","resources":{"limits":{"cpu":"1"}}}]""", "spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container")]
    [InlineData("""[{"name":"d","image":"i","readinessProbe":{"exec":{"command":["true"]}}}]""", "spec.ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an Ephemeral Container")]
    [InlineData("""[{"name":"d","image":"i","lifecycle":{"preStop":{"exec":{"command":["true"]}}}}]""", "spec.ephemeralContainers[0].lifecycle: Forbidden: cannot be set for an Ephemeral Container")]
    [InlineData("""[{"name":"d","image":"i","restartPolicy":"Always"}]""", "spec.ephemeralContainers[0].restartPolicy: Forbidden: cannot be set for an Ephemeral Container")]
    [InlineData("""[{"name":"app","image":"i"}]""", "spec.ephemeralContainers[0].name: Duplicate value: \"app\"")]
    [InlineData("""[{"name":"d","image":"i","targetContainerName":"nope"}]""", "spec.ephemeralContainers[0].targetContainerName: Not found: \"nope\"")]
    [InlineData("""[{"name":"d"}]""", "spec.ephemeralContainers[0].image: Required value")]
    [InlineData("""[{"name":"Bad_Name","image":"i"}]""", "spec.ephemeralContainers[0].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    public void RejectsWhatKubernetesRejects(string ephemeral, string error)
    {
        var stored = Stored();
        var (_, errors) = Update(PodEphemeralContainersStrategy.Instance, stored, Request(stored, ephemeral));
        Assert.Equal([error], errors);
    }

    [Fact]
    public void ExistingEphemeralContainersMayNotBeChangedOrRemoved()
    {
        var (withOne, _) = Update(PodEphemeralContainersStrategy.Instance, Stored(), Request(Stored(), Debugger));
        var changed = JsonNode.Parse(withOne["spec"]!["ephemeralContainers"]!.ToJsonString())!.AsArray();
        changed[0]!["image"] = "anvil.local/other";
        var (_, errors) = Update(PodEphemeralContainersStrategy.Instance, withOne, Request(withOne, changed.ToJsonString()));
        Assert.Equal(["spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debugger-x\" may not be changed\n"], errors);
        (_, errors) = Update(PodEphemeralContainersStrategy.Instance, withOne, Request(withOne, "[]"));
        Assert.Equal(["spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debugger-x\" may not be removed\n"], errors);
        // Adding a second keeps the first.
        var two = JsonNode.Parse(withOne["spec"]!["ephemeralContainers"]!.ToJsonString())!.AsArray();
        two.Add(JsonNode.Parse("""{"name":"second","image":"anvil.local/busybox"}"""));
        (_, errors) = Update(PodEphemeralContainersStrategy.Instance, withOne, Request(withOne, two.ToJsonString()));
        Assert.Empty(errors);
    }

    [Fact]
    public void ThePodStrategyStillRefusesEphemeralContainersOnCreate()
    {
        Assert.Same(PodEphemeralContainersStrategy.Instance, PodStrategy.Instance.ForSubresource("ephemeralcontainers"));
        Assert.Null(PodStrategy.Instance.ForSubresource("status"));
    }
}
