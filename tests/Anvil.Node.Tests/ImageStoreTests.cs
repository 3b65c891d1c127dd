using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Anvil.Node.Images;

namespace Anvil.Node.Tests;

public sealed class ImageStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("anvil-images-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Make(string relative, string? content = null)
    {
        var path = Path.Combine(_dir, relative);
        if (content == null)
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
        return path;
    }

    private static async Task Tar(string from, string tarball)
    {
        var p = System.Diagnostics.Process.Start("tar", ["-cf", tarball, "-C", from, "."])!;
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
    }

    /// <summary>A blob in the layout named by its sha256; returns the descriptor.</summary>
    private static JsonObject Blob(string layout, byte[] bytes, string mediaType)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Directory.CreateDirectory(Path.Combine(layout, "blobs", "sha256"));
        File.WriteAllBytes(Path.Combine(layout, "blobs", "sha256", hex), bytes);
        return new JsonObject { ["mediaType"] = mediaType, ["digest"] = "sha256:" + hex, ["size"] = bytes.Length };
    }

    /// <summary>Two layers: the second deletes a/x with a whiteout and empties b with an opaque marker.</summary>
    private async Task<string> LayoutAsync()
    {
        Make("l1/a/x", "x1");
        Make("l1/a/y", "y1");
        Make("l1/b/z", "z1");
        Make("l1/keep", "k");
        Make("l2/a/.wh.x", "");
        Make("l2/b/.wh..wh..opq", "");
        Make("l2/b/new", "n2");
        Make("l2/c", "c2");
        Make("l2/.wh.keep-not-there", "");
        await Tar(Path.Combine(_dir, "l1"), Path.Combine(_dir, "l1.tar"));
        await Tar(Path.Combine(_dir, "l2"), Path.Combine(_dir, "l2.tar"));
        var layout = Make("layout");
        File.WriteAllText(Path.Combine(layout, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        var config = Blob(layout, """{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin","A=1"],"Entrypoint":["/bin/app"],"Cmd":["--serve"],"WorkingDir":"/srv","User":"1000:1000"},"rootfs":{"type":"layers","diff_ids":[]}}"""u8.ToArray(), "application/vnd.oci.image.config.v1+json");
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = config,
            ["layers"] = new JsonArray(
                Blob(layout, File.ReadAllBytes(Path.Combine(_dir, "l1.tar")), "application/vnd.oci.image.layer.v1.tar"),
                Blob(layout, File.ReadAllBytes(Path.Combine(_dir, "l2.tar")), "application/vnd.oci.image.layer.v1.tar")),
        };
        var m = Blob(layout, System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString()), "application/vnd.oci.image.manifest.v1+json");
        m["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = "amd64" };
        File.WriteAllText(Path.Combine(layout, "index.json"), new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(m) }.ToJsonString());
        return layout;
    }

    private static string Tree(string root) => string.Join(",", Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
        .Select(p => Path.GetRelativePath(root, p) + (File.Exists(p) ? "=" + File.ReadAllText(p) : "/")).Order(StringComparer.Ordinal));

    [Fact]
    public async Task OciLayoutLayersApplyInOrderWithWhiteouts()
    {
        var store = new ImageStore(Path.Combine(_dir, "data"));
        var image = await store.ImportAsync("app", "1", await LayoutAsync(), default);
        Assert.Equal("a/,a/y=y1,b/,b/new=n2,c=c2,keep=k", Tree(image.Rootfs));
        Assert.Equal(["PATH=/bin", "A=1"], image.Config.Env);
        Assert.Equal(["/bin/app"], image.Config.Entrypoint);
        Assert.Equal(["--serve"], image.Config.Cmd);
        Assert.Equal(("/srv", "1000:1000"), (image.Config.WorkingDir, image.Config.User));
        Assert.Matches("^anvil.local/app@sha256:[0-9a-f]{64}$", image.ImageId);
        Assert.Equal("anvil.local/app:1", image.Reference);
    }

    [Fact]
    public async Task OciLayoutTarballImports()
    {
        var layout = await LayoutAsync();
        await Tar(layout, Path.Combine(_dir, "layout.tar"));
        var image = await new ImageStore(Path.Combine(_dir, "data")).ImportAsync("app", "tar", Path.Combine(_dir, "layout.tar"), default);
        Assert.Equal("a/,a/y=y1,b/,b/new=n2,c=c2,keep=k", Tree(image.Rootfs));
        Assert.Equal(["/bin/app"], image.Config.Entrypoint);
    }

    [Fact]
    public async Task RootfsDirAndTarballImportListAndRemove()
    {
        Make("root/etc/greeting", "hello");
        await Tar(Path.Combine(_dir, "root"), Path.Combine(_dir, "root.tar"));
        var store = new ImageStore(Path.Combine(_dir, "data")) { MountInfo = Make("mountinfo", "") };
        var fromDir = await store.ImportAsync("greet", "latest", Path.Combine(_dir, "root"), default);
        var fromTar = await store.ImportAsync("tools/greet", "2", Path.Combine(_dir, "root.tar"), default);
        Assert.Equal("etc/,etc/greeting=hello", Tree(fromDir.Rootfs));
        Assert.Equal("etc/,etc/greeting=hello", Tree(fromTar.Rootfs));
        Assert.Equal([ImageConfig.DefaultPath], fromDir.Config.Env);
        Assert.Empty(fromDir.Config.Cmd);
        Assert.Equal(5, fromDir.Size);
        Assert.Equal(["greet:latest", "tools/greet:2"], store.List().Select(i => $"{i.Name}:{i.Tag}"));
        Assert.Equal(fromTar.Rootfs, (await store.ResolveAsync("anvil.local/tools/greet:2", default))?.Rootfs);
        Assert.Equal(fromDir.Rootfs, (await store.ResolveAsync("greet", default))?.Rootfs);
        Assert.Equal(fromDir.ImageId, store.IdOf("greet"));
        Assert.Null(await store.ResolveAsync("greet:other", default));
        Assert.Null(await store.ResolveAsync("registry.example/greet", default));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.Root, ".tmp")));

        Assert.True(store.Remove("greet", "latest"));
        Assert.False(store.Remove("greet", "latest"));
        Assert.False(Directory.Exists(Path.GetDirectoryName(fromDir.Rootfs)));
        Assert.Equal(["tools/greet:2"], store.List().Select(i => $"{i.Name}:{i.Tag}"));
    }

    [Fact]
    public async Task ReplacedOrRemovedImageStaysWhileAnOverlayUsesIt()
    {
        Make("v1/f", "one");
        Make("v2/f", "two");
        var mountinfo = Make("mountinfo", "");
        var store = new ImageStore(Path.Combine(_dir, "data")) { MountInfo = mountinfo };
        var v1 = await store.ImportAsync("app", "1", Path.Combine(_dir, "v1"), default);
        // A container's overlay over v1, as /proc/self/mountinfo shows it.
        File.WriteAllText(mountinfo, $"900 30 0:99 / /var/lib/anvil/containers/x/rootfs rw,relatime - overlay overlay rw,lowerdir={v1.Rootfs},upperdir=/u,workdir=/w\n");
        Assert.True(store.InUse(v1));
        var v2 = await store.ImportAsync("app", "1", Path.Combine(_dir, "v2"), default);
        Assert.Equal("f=two", Tree(v2.Rootfs));
        Assert.Equal("f=one", Tree(v1.Rootfs));
        Assert.True(store.Remove("app", "1"));
        Assert.True(Directory.Exists(v1.Rootfs));
        Assert.False(Directory.Exists(v2.Rootfs));
        Assert.Empty(store.List());
        // Once unused, the next operation on the tag collects it.
        File.WriteAllText(mountinfo, "");
        await store.ImportAsync("app", "1", Path.Combine(_dir, "v2"), default);
        Assert.False(Directory.Exists(v1.Rootfs));
    }

    [Fact]
    public async Task ImportOfMissingPathFails()
    {
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => new ImageStore(_dir).ImportAsync("x", "1", Path.Combine(_dir, "nope"), default));
        Assert.Equal($"{Path.Combine(_dir, "nope")}: no such file or directory", e.Message);
    }

    [Theory]
    [InlineData("deb http://deb.example/debian bookworm main\ndeb http://sec.example bookworm-security main\n", "http://deb.example/debian")]
    [InlineData("# deb http://old bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n", "http://m.example/debian")]
    [InlineData("deb http://deb.example/debian bullseye main\n", null)]
    public void MirrorFromOneLineSources(string text, string? mirror) => Assert.Equal(mirror, DebianMirror.FromOneLine(text, "bookworm"));

    [Fact]
    public void MirrorFromDeb822Sources()
    {
        var text = """
            Types: deb
            URIs: http://deb.debian.org/debian-security
            Suites: bookworm-security
            Components: main

            Types: deb
            # http://snapshot.debian.org/archive/debian/20250520T000000Z
            URIs: http://deb.debian.org/debian
            Suites: bookworm bookworm-updates
            Components: main
            """;
        Assert.Equal("http://deb.debian.org/debian", DebianMirror.FromDeb822(text, "bookworm"));
        Make("apt/sources.list.d/debian.sources", text);
        Make("apt/sources.list.d/other.list.disabled", "deb http://x bookworm main\n");
        Assert.Equal("http://deb.debian.org/debian", DebianMirror.Find("bookworm", Path.Combine(_dir, "apt")));
    }

    [Fact]
    public void RecipeParses()
    {
        var r = ImageRecipe.Parse("""
            name: toolforge/python
            tag: "3.11"
            packages: [python3, ca-certificates]
            env: {LANG: C.UTF-8}
            entrypoint: ["python3"]
            cmd: ["-V"]
            workingDir: /srv
            user: nobody
            """);
        Assert.Equal(("toolforge/python", "3.11", "bookworm"), (r.Name, r.Tag, r.Suite));
        Assert.Equal(["python3", "ca-certificates"], r.Packages);
        Assert.Equal([ImageConfig.DefaultPath, "LANG=C.UTF-8"], r.Config.Env);
        Assert.Equal(["python3"], r.Config.Entrypoint);
        Assert.Equal(["-V"], r.Config.Cmd);
        Assert.Equal(("/srv", "nobody"), (r.Config.WorkingDir, r.Config.User));
        Assert.Equal(("tiny", "latest"), (ImageRecipe.Parse("name: tiny\npackages: []\n").Name, ImageRecipe.Parse("name: tiny\n").Tag));
    }

    [Theory]
    [InlineData("tag: x\n", "recipe: name is required")]
    [InlineData("name: x\nfoo: 1\n", "recipe: unknown field \"foo\"")]
    [InlineData("name: x\npackages: [\"--evil\"]\n", "recipe: invalid package name \"--evil\"")]
    [InlineData("name: registry.example/x\n", "recipe: name \"registry.example/x\" names another registry")]
    [InlineData("name: x\nenv: [a]\n", "recipe: env must be a map of strings")]
    public void RecipeRejects(string yaml, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => ImageRecipe.Parse(yaml)).Message);
}
