using Anvil.Node.Volumes;

namespace Anvil.Node.Tests;

public sealed class HostPathCheckTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("anvil-hostpath-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData("dir", "Directory", null)]
    [InlineData("file", "File", null)]
    [InlineData("dir", "File", "hostPath type check failed: {0} is not a file")]
    [InlineData("file", "Directory", "hostPath type check failed: {0} is not a directory")]
    [InlineData("missing", "Directory", "hostPath type check failed: {0} is not a directory")]
    [InlineData("missing", "File", "hostPath type check failed: {0} is not a file")]
    [InlineData("file", "Socket", "hostPath type check failed: {0} is not a socket file")]
    [InlineData("file", "CharDevice", "hostPath type check failed: {0} is not a character device")]
    [InlineData("file", "BlockDevice", "hostPath type check failed: {0} is not a block device")]
    [InlineData("missing", "", null)]
    public void Checks(string what, string type, string? message)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "dir"));
        File.WriteAllText(Path.Combine(_dir, "file"), "");
        var path = Path.Combine(_dir, what);
        Assert.Equal(message == null ? null : string.Format(System.Globalization.CultureInfo.InvariantCulture, message, path), HostPathCheck.Check(path, type));
    }

    [Fact]
    public void DevNullIsACharDevice() => Assert.Null(HostPathCheck.Check("/dev/null", "CharDevice"));

    [Fact]
    public void OrCreateTypesCreate()
    {
        Assert.Null(HostPathCheck.Check(Path.Combine(_dir, "d/e"), "DirectoryOrCreate"));
        Assert.True(Directory.Exists(Path.Combine(_dir, "d/e")));
        Assert.Null(HostPathCheck.Check(Path.Combine(_dir, "f"), "FileOrCreate"));
        Assert.True(File.Exists(Path.Combine(_dir, "f")));
        Assert.Equal($"hostPath type check failed: {_dir}/d is not a file", HostPathCheck.Check(Path.Combine(_dir, "d"), "FileOrCreate"));
    }
}
