using Anvil.Toolforge.Accounts;

namespace Anvil.Toolforge.Tests;

public sealed class HomeFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("anvil-homefiles-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly int Uid = Environment.UserName == "root" ? 50123 : -1;
    private static readonly int Other = Uid < 0 ? -1 : Uid + 1;

    [Fact]
    public void CreatesHomeWithSetgidAndLogs()
    {
        Assert.True(HomeFiles.EnsureHome(_root, "alpha", Uid, Uid, HomeFiles.HomeMode, "logs"));
        Assert.False(HomeFiles.EnsureHome(_root, "alpha", Uid, Uid, HomeFiles.HomeMode, "logs"));
        var home = Path.Combine(_root, "alpha");
        Assert.Equal(HomeFiles.HomeMode, File.GetUnixFileMode(home) & (UnixFileMode)0xFFF);
        Assert.True(Directory.Exists(Path.Combine(home, "logs")));
    }

    [Fact]
    public void WritesAtomicallyWithModeAndReplacesPlantedSymlinkWithoutFollowingIt()
    {
        HomeFiles.EnsureHome(_root, "alpha", Uid, Uid, HomeFiles.HomeMode);
        var victim = Path.Combine(_root, "victim");
        File.WriteAllText(victim, "precious");
        Directory.CreateDirectory(Path.Combine(_root, "alpha", ".kube"));
        File.CreateSymbolicLink(Path.Combine(_root, "alpha", ".kube", "config"), victim);

        HomeFiles.WriteFile(_root, "alpha", ".kube", "config", "new", Uid, Uid, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.Equal("precious", File.ReadAllText(victim));
        var config = Path.Combine(_root, "alpha", ".kube", "config");
        Assert.Null(new FileInfo(config).LinkTarget);
        Assert.Equal("new", File.ReadAllText(config));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        Assert.True(HomeFiles.Exists(_root, "alpha", ".kube", "config"));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "alpha", ".kube"), ".config.tmp-*"));
    }

    [Fact]
    public void RefusesASymlinkedDirectory()
    {
        HomeFiles.EnsureHome(_root, "alpha", Uid, Uid, HomeFiles.HomeMode);
        var elsewhere = Directory.CreateDirectory(Path.Combine(_root, "elsewhere")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(_root, "alpha", ".kube"), elsewhere);

        var e = Assert.Throws<IOException>(() => HomeFiles.WriteFile(_root, "alpha", ".kube", "config", "x", Uid, Uid, UnixFileMode.UserRead));
        Assert.Equal("open .kube: is not a directory (or a symbolic link)", e.Message);
        Assert.Empty(Directory.GetFiles(elsewhere));
        Assert.False(HomeFiles.Exists(_root, "alpha", ".kube", "config"));
    }

    [Fact]
    public void RefusesADotKubeSymlinkedToAnotherToolsDotKube()
    {
        HomeFiles.EnsureHome(_root, "alpha", Uid, Uid, HomeFiles.HomeMode);
        HomeFiles.EnsureHome(_root, "beta", Other, Other, HomeFiles.HomeMode);
        HomeFiles.WriteFile(_root, "beta", ".kube", "config", "beta's", Other, Other, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.CreateSymbolicLink(Path.Combine(_root, "alpha", ".kube"), Path.Combine(_root, "beta", ".kube"));

        var e = Assert.Throws<IOException>(() => HomeFiles.WriteFile(_root, "alpha", ".kube", "config", "alpha's", Uid, Uid, UnixFileMode.UserRead));
        Assert.Equal("open .kube: is not a directory (or a symbolic link)", e.Message);
        Assert.Equal("beta's", File.ReadAllText(Path.Combine(_root, "beta", ".kube", "config")));
        Assert.Equal(["config"], Directory.GetFiles(Path.Combine(_root, "beta", ".kube")).Select(Path.GetFileName));
    }

    [Fact]
    public void ASwapOfDotKubeDuringTheWriteDoesNotRedirectTheRename()
    {
        HomeFiles.EnsureHome(_root, "alpha", Uid, Uid, HomeFiles.HomeMode);
        HomeFiles.EnsureHome(_root, "beta", Other, Other, HomeFiles.HomeMode);
        HomeFiles.WriteFile(_root, "beta", ".kube", "config", "beta's", Other, Other, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        HomeFiles.WriteFile(_root, "alpha", ".kube", "config", "old", Uid, Uid, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var alpha = Path.Combine(_root, "alpha");
        // The owner moves .kube away and puts a symlink to beta's .kube in its place after the directory was opened.
        HomeFiles.BeforeRename = () =>
        {
            Directory.Move(Path.Combine(alpha, ".kube"), Path.Combine(alpha, "moved"));
            Directory.CreateSymbolicLink(Path.Combine(alpha, ".kube"), Path.Combine(_root, "beta", ".kube"));
        };
        try
        {
            HomeFiles.WriteFile(_root, "alpha", ".kube", "config", "new", Uid, Uid, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        finally
        {
            HomeFiles.BeforeRename = null;
        }
        // The rename happened in the directory that was opened (now alpha/moved), never in beta's.
        Assert.Equal("beta's", File.ReadAllText(Path.Combine(_root, "beta", ".kube", "config")));
        Assert.Equal(["config"], Directory.GetFiles(Path.Combine(_root, "beta", ".kube")).Select(Path.GetFileName));
        Assert.Equal("new", File.ReadAllText(Path.Combine(alpha, "moved", "config")));
    }

    [Fact]
    public void PurgeRemovesTheHomeButNotWhatSymlinksPointAt()
    {
        HomeFiles.EnsureHome(_root, "alpha", Uid, Uid, HomeFiles.HomeMode, "logs");
        var outside = Path.Combine(_root, "outside");
        File.WriteAllText(outside, "keep");
        File.CreateSymbolicLink(Path.Combine(_root, "alpha", "link"), outside);
        HomeFiles.Purge(_root, "alpha");
        Assert.False(Directory.Exists(Path.Combine(_root, "alpha")));
        Assert.Equal("keep", File.ReadAllText(outside));
    }
}
