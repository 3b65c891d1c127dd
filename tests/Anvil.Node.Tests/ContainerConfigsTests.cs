using System.Text.Json.Nodes;
using Anvil.Node.Images;
using Anvil.Node.Pods;
using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

public sealed class ContainerConfigsTests
{
    [Theory]
    [InlineData("""{"limits":{"cpu":"500m","memory":"64Mi"}}""", 512, 50000, 67108864)]
    [InlineData("""{"requests":{"cpu":"250m"}}""", 256, 0, 0)]
    [InlineData("""{"requests":{"cpu":"1m"},"limits":{"cpu":"2"}}""", 2, 200000, 0)]
    [InlineData("{}", 2, 0, 0)]
    public void Resources(string json, long shares, long quota, long memory) =>
        Assert.Equal(new ContainerResources(shares, quota, 100_000, memory, 0), ContainerConfigs.Resources(JsonNode.Parse(json) as JsonObject));

    [Theory]
    [InlineData("busybox", "busybox")]
    [InlineData("busybox:latest", "busybox")]
    [InlineData("busybox:1.36", "busybox")]
    [InlineData("docker.io/library/busybox:1.36", "busybox")]
    [InlineData("docker.io/busybox", "busybox")]
    [InlineData("busybox@sha256:abc", "busybox")]
    [InlineData("nginx", "nginx")]
    [InlineData("registry.example/busybox", null)]
    public void ImageReferences(string reference, string? local) => Assert.Equal(local, ImageStore.LocalName(reference));

    [Fact]
    public void CommandArgsEnvUser()
    {
        var pod = JsonNode.Parse("""{"metadata":{"name":"p","namespace":"ns","uid":"u1"},"spec":{"securityContext":{"runAsUser":65534}}}""")!.AsObject();
        var c = JsonNode.Parse("""{"name":"c","image":"busybox","args":["echo","hi"],"env":[{"name":"A","value":"1"}],"workingDir":"/tmp","securityContext":{"runAsGroup":65534}}""")!.AsObject();
        var cfg = ContainerConfigs.From(pod, c, "/img", 3);
        Assert.Equal(["echo", "hi"], cfg.Args);
        Assert.Equal(["A=1", "HOSTNAME=p"], cfg.Env);
        Assert.Equal(("/tmp", 65534u, 65534u, 3, "u1"), (cfg.WorkingDir, cfg.Uid, cfg.Gid, cfg.Attempt, cfg.PodUid));
    }

    [Fact]
    public void StdioFollowsTheSpec()
    {
        var pod = JsonNode.Parse("""{"metadata":{"name":"p","namespace":"ns","uid":"u1"},"spec":{}}""")!.AsObject();
        var c = JsonNode.Parse("""{"name":"c","image":"busybox","stdin":true,"tty":true}""")!.AsObject();
        Assert.Equal(new ContainerStdio(true, false, true), ContainerConfigs.From(pod, c, "/img", 0).Stdio);
    }
}
