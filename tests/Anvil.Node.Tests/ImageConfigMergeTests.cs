using System.Text.Json.Nodes;
using Anvil.Node.Images;
using Anvil.Node.Pods;

namespace Anvil.Node.Tests;

public sealed class ImageConfigMergeTests
{
    private static readonly ImageConfig Image = new(["PATH=/bin", "LANG=C", "A=image"], ["/entry", "e1"], ["c1", "c2"], "/srv", "");

    [Theory]
    [InlineData("", "", "/entry e1 c1 c2")] // neither: ENTRYPOINT + CMD
    [InlineData("run", "", "run")] // command replaces ENTRYPOINT and drops CMD
    [InlineData("", "x y", "/entry e1 x y")] // args replace CMD
    [InlineData("run", "x", "run x")]
    public void CommandAndArgs(string command, string args, string expected)
    {
        static string[] Split(string s) => s.Length == 0 ? [] : s.Split(' ');
        Assert.Equal(expected, string.Join(' ', ContainerConfigs.Command(Split(command), Split(args), Image)));
    }

    private static JsonObject Pod(string securityContext = "{}") =>
        new JsonObject
        {
            ["metadata"] = JsonNode.Parse("""{"name":"p","namespace":"ns","uid":"u1"}"""),
            ["spec"] = new JsonObject { ["securityContext"] = JsonNode.Parse(securityContext) },
        };

    [Fact]
    public void ImageEnvComesFirstAndContainerEnvReplacesSameName()
    {
        var c = JsonNode.Parse("""{"name":"c","image":"x","env":[{"name":"A","value":"pod"},{"name":"B","value":"2"}]}""")!.AsObject();
        var cfg = ContainerConfigs.From(Pod(), c, "/img", 0, Image);
        Assert.Equal(["PATH=/bin", "LANG=C", "A=pod", "B=2", "HOSTNAME=p"], cfg.Env);
        Assert.Equal(["/entry", "e1", "c1", "c2"], cfg.Args);
        Assert.Equal("/srv", cfg.WorkingDir);
    }

    [Fact]
    public void ContainerWorkingDirWins()
    {
        var c = JsonNode.Parse("""{"name":"c","image":"x","workingDir":"/tmp"}""")!.AsObject();
        Assert.Equal("/tmp", ContainerConfigs.From(Pod(), c, "/img", 0, Image).WorkingDir);
    }

    [Fact]
    public void NoCommandAtAllIsAnError()
    {
        var c = JsonNode.Parse("""{"name":"c","image":"x"}""")!.AsObject();
        var e = Assert.Throws<IOException>(() => ContainerConfigs.From(Pod(), c, "/img", 0, ImageConfig.Empty));
        Assert.Equal("no command specified", e.Message);
    }

    [Fact]
    public void ImageUserByNumberOrNameUnlessThePodSetsOne()
    {
        var rootfs = Directory.CreateTempSubdirectory("anvil-user-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
            File.WriteAllText(Path.Combine(rootfs, "etc/passwd"), "root:x:0:0::/root:/bin/sh\ntool:x:52001:52002::/home:/bin/sh\n");
            File.WriteAllText(Path.Combine(rootfs, "etc/group"), "root:x:0:\nstaff:x:50:\n");
            var c = JsonNode.Parse("""{"name":"c","image":"x","command":["true"]}""")!.AsObject();
            var named = Image with { User = "tool" };
            Assert.Equal((52001u, 52002u), Ids(ContainerConfigs.From(Pod(), c, rootfs, 0, named)));
            Assert.Equal((52001u, 50u), Ids(ContainerConfigs.From(Pod(), c, rootfs, 0, Image with { User = "tool:staff" })));
            Assert.Equal((1000u, 1001u), Ids(ContainerConfigs.From(Pod(), c, rootfs, 0, Image with { User = "1000:1001" })));
            Assert.Equal((7u, 52002u), Ids(ContainerConfigs.From(Pod("""{"runAsUser":7}"""), c, rootfs, 0, named)));
            Assert.Equal("unable to find user ghost: no matching entries in passwd file",
                Assert.Throws<IOException>(() => ContainerConfigs.From(Pod(), c, rootfs, 0, Image with { User = "ghost" })).Message);
        }
        finally
        {
            Directory.Delete(rootfs, true);
        }
    }

    private static (uint, uint) Ids(Anvil.Node.Runtime.ContainerConfig c) => (c.Uid, c.Gid);
}
