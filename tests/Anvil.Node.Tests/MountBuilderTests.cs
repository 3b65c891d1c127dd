using Anvil.Node.Env;
using Anvil.Node.Runtime;
using Anvil.Node.Volumes;

namespace Anvil.Node.Tests;

public sealed class MountBuilderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("anvil-mounts-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private PodVolumes Volumes()
    {
        var data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(data);
        var cfg = Path.Combine(_dir, "cfg");
        Directory.CreateDirectory(cfg);
        return new PodVolumes(new Dictionary<string, string> { ["data"] = data, ["cfg"] = cfg }, new HashSet<string> { "cfg" }, []);
    }

    [Fact]
    public void MountsWithReadOnlyAndSubPaths()
    {
        var v = Volumes();
        var c = FakeObjects.Obj("""
            {"name":"c","volumeMounts":[{"name":"data","mountPath":"/data"},{"name":"data","mountPath":"/logs","subPath":"logs/app","readOnly":true},
              {"name":"cfg","mountPath":"/etc/cfg"},{"name":"data","mountPath":"/mine","subPathExpr":"pods/$(POD)"}]}
            """);
        var mounts = MountBuilder.For(c, v, new Dictionary<string, string> { ["POD"] = "web" });
        Assert.Equal([
            new ContainerMount(v.Paths["data"], "/data", false),
            new ContainerMount(Path.Combine(v.Paths["data"], "logs/app"), "/logs", true),
            new ContainerMount(v.Paths["cfg"], "/etc/cfg", true),
            new ContainerMount(Path.Combine(v.Paths["data"], "pods/web"), "/mine", false),
        ], mounts);
        Assert.True(Directory.Exists(Path.Combine(v.Paths["data"], "logs/app")));
    }

    [Theory]
    [InlineData("""{"name":"other","mountPath":"/x"}""", "cannot find volume \"other\" to mount into container \"c\"")]
    [InlineData("""{"name":"data","mountPath":"/x","subPath":"/etc"}""", "error SubPath `/etc` must not be an absolute path")]
    [InlineData("""{"name":"data","mountPath":"/x","subPath":"a/../../etc"}""", "unable to provision SubPath `a/../../etc`: must not contain '..'")]
    [InlineData("""{"name":"data","mountPath":"/x","subPath":"escape"}""", "failed to prepare subPath for volumeMount \"data\" of container \"c\"")]
    [InlineData("""{"name":"data","mountPath":"/x","subPath":"escape/new"}""", "failed to create subPath directory for volumeMount \"data\" of container \"c\"")]
    public void BadMountsAreConfigErrors(string mount, string message)
    {
        var v = Volumes();
        // A link that leads out of the volume must not be followed.
        File.CreateSymbolicLink(Path.Combine(v.Paths["data"], "escape"), _dir);
        var c = FakeObjects.Obj($$"""{"name":"c","volumeMounts":[{{mount}}]}""");
        var e = Assert.Throws<ContainerConfigException>(() => MountBuilder.For(c, v, new Dictionary<string, string>()));
        Assert.Equal(message, e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "new")));
    }

    [Fact]
    public void LinksInsideTheVolumeAreFine()
    {
        var v = Volumes();
        Directory.CreateDirectory(Path.Combine(v.Paths["data"], "real"));
        File.CreateSymbolicLink(Path.Combine(v.Paths["data"], "alias"), "real");
        var c = FakeObjects.Obj("""{"name":"c","volumeMounts":[{"name":"data","mountPath":"/x","subPath":"alias"}]}""");
        Assert.Equal(Path.Combine(v.Paths["data"], "real"), MountBuilder.For(c, v, new Dictionary<string, string>())[0].Source);
    }
}
