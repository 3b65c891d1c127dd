using System.Text;
using Anvil.Node.Volumes;

namespace Anvil.Node.Tests;

public sealed class AtomicWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("anvil-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static FileProjection F(string text, int mode = 420) => new(Encoding.UTF8.GetBytes(text), mode);

    [Fact]
    public void WritesATimestampedDirBehindDataAndVisibleLinks()
    {
        Assert.True(AtomicWriter.Write(_dir, new Dictionary<string, FileProjection> { ["a"] = F("1"), ["sub/b"] = F("2", 256) }));

        var data = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!;
        Assert.Matches(@"^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$", data);
        Assert.Equal("..data/a", new FileInfo(Path.Combine(_dir, "a")).LinkTarget);
        Assert.Equal("..data/sub", new FileInfo(Path.Combine(_dir, "sub")).LinkTarget);
        Assert.Equal("1", File.ReadAllText(Path.Combine(_dir, "a")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(_dir, "sub", "b")));
        Assert.Equal(Convert.ToInt32("644", 8), (int)File.GetUnixFileMode(Path.Combine(_dir, data, "a")));
        Assert.Equal(Convert.ToInt32("400", 8), (int)File.GetUnixFileMode(Path.Combine(_dir, data, "sub", "b")));
        Assert.Equal(new[] { data, "..data", "a", "sub" }.Order(StringComparer.Ordinal), Directory.EnumerateFileSystemEntries(_dir).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void AnUnchangedPayloadWritesNothingAndAChangeSwapsTheLink()
    {
        AtomicWriter.Write(_dir, new Dictionary<string, FileProjection> { ["a"] = F("1"), ["gone"] = F("x") });
        var first = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!;

        Assert.False(AtomicWriter.Write(_dir, new Dictionary<string, FileProjection> { ["a"] = F("1"), ["gone"] = F("x") }));
        Assert.True(AtomicWriter.Write(_dir, new Dictionary<string, FileProjection> { ["a"] = F("2") }));

        var second = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!;
        Assert.NotEqual(first, second);
        Assert.False(Directory.Exists(Path.Combine(_dir, first)));
        Assert.Equal("2", File.ReadAllText(Path.Combine(_dir, "a")));
        Assert.False(Path.Exists(Path.Combine(_dir, "gone")));
        Assert.Null(new FileInfo(Path.Combine(_dir, "gone")).LinkTarget);
    }

    [Theory]
    [InlineData("/abs", "invalid path: must be relative path: /abs")]
    [InlineData("a/../b", "invalid path: must not contain '..': a/../b")]
    [InlineData("..x", "invalid path: must not start with '..': ..x")]
    public void PathsThatCouldEscapeAreRefused(string path, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => AtomicWriter.Write(_dir, new Dictionary<string, FileProjection> { [path] = F("1") }));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void FsGroupOwnsTheFilesWithGroupRead()
    {
        AtomicWriter.Write(_dir, new Dictionary<string, FileProjection> { ["k"] = F("v", 256) }, fsGroup: 1234);
        var file = Path.Combine(_dir, "..data", "k");
        Assert.Equal(1234u, Posix.StatGroup(file));
        Assert.Equal(Convert.ToInt32("440", 8), (int)File.GetUnixFileMode(file) & 0x1FF);
        var ts = Path.Combine(_dir, new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!);
        Assert.True(File.GetUnixFileMode(ts).HasFlag(UnixFileMode.SetGroup));
    }
}
