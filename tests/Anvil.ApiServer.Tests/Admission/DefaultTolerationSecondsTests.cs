using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;

namespace Anvil.ApiServer.Tests.Admission;

public sealed class DefaultTolerationSecondsTests
{
    private const string NotReady = """{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}""";
    private const string Unreachable = """{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}""";

    [Theory]
    [InlineData("", $"[{NotReady},{Unreachable}]")]
    [InlineData("""[{"key":"a","operator":"Exists"}]""", $$$"""[{"key":"a","operator":"Exists"},{{{NotReady}}},{{{Unreachable}}}]""")]
    // Already tolerated (by key, by an empty key, by an empty effect): nothing added for that taint.
    [InlineData("""[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":5}]""",
        $$$"""[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":5},{{{Unreachable}}}]""")]
    [InlineData("""[{"key":"node.kubernetes.io/unreachable","operator":"Exists"}]""",
        $$$"""[{"key":"node.kubernetes.io/unreachable","operator":"Exists"},{{{NotReady}}}]""")]
    [InlineData("""[{"operator":"Exists"}]""", """[{"operator":"Exists"}]""")]
    [InlineData("""[{"operator":"Exists","effect":"NoExecute"}]""", """[{"operator":"Exists","effect":"NoExecute"}]""")]
    // A NoSchedule toleration does not count.
    [InlineData("""[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoSchedule"}]""",
        $$$"""[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoSchedule"},{{{NotReady}}},{{{Unreachable}}}]""")]
    public void AddsTheMissingTolerations(string tolerations, string expected)
    {
        var extra = tolerations.Length > 0 ? ",\"tolerations\":" + tolerations : "";
        var pod = JsonNode.Parse("{\"spec\":{\"containers\":[]" + extra + "}}")!.AsObject();
        DefaultTolerationSeconds.Apply(pod);
        Assert.Equal(expected, pod["spec"]!["tolerations"]!.ToJsonString());
    }
}
