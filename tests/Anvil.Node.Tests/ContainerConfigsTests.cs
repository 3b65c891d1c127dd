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

    [Theory]
    [InlineData("""{"readOnlyRootFilesystem":true}""", true)]
    [InlineData("""{"readOnlyRootFilesystem":false}""", false)]
    [InlineData("{}", false)]
    public void ReadOnlyRootFilesystemMakesTheRootAndThePodsEtcFilesReadOnly(string securityContext, bool readOnly)
    {
        var pod = JsonNode.Parse("""{"metadata":{"name":"p","namespace":"ns","uid":"u1"},"spec":{}}""")!.AsObject();
        var c = JsonNode.Parse($$"""{"name":"c","image":"busybox","command":["true"],"securityContext":{{securityContext}}}""")!.AsObject();
        var cfg = ContainerConfigs.From(pod, c, "/img", 0);
        Assert.Equal(readOnly, cfg.ReadOnlyRootfs);

        var dir = Directory.CreateTempSubdirectory("anvil-ocispec-").FullName;
        try
        {
            var sandbox = new Anvil.Node.Network.PodSandbox("u1", "ns", "p", "p", false, "anvt-x", "10.0.0.2", dir);
            foreach (var f in new[] { sandbox.HostsPath, sandbox.ResolvConfPath, sandbox.HostnamePath }) File.WriteAllText(f, "x\n");
            var spec = OciSpec.Build(cfg, "/rootfs", "/cg", sandbox);
            Assert.Equal(readOnly, (bool?)spec["root"]!["readonly"]);
            var etc = ((JsonArray)spec["mounts"]!).OfType<JsonObject>().Where(m => ((string?)m["destination"])!.StartsWith("/etc/", StringComparison.Ordinal))
                .ToDictionary(m => (string)m["destination"]!, m => (((JsonArray)m["options"]!).Any(o => (string?)o == "ro"), (string?)m["source"]));
            Assert.Equal(new Dictionary<string, (bool, string?)>
            {
                ["/etc/resolv.conf"] = (readOnly, sandbox.ResolvConfPath),
                ["/etc/hosts"] = (readOnly, sandbox.HostsPath),
                ["/etc/hostname"] = (readOnly, sandbox.HostnamePath),
            }, etc);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

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
