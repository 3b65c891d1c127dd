using System.Text;
using Anvil.Node.Exec;
using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

/// <summary>Streaming exec into a real runc container: split streams, exit codes, stdin, a terminal.</summary>
public sealed class RuncExecTests(RuntimeFixture f) : IClassFixture<RuntimeFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private async Task<string> RunningContainerAsync(string name)
    {
        var rootfs = await f.Images.EnsureAsync("busybox", CancellationToken.None);
        Assert.NotNull(rootfs);
        var config = new ContainerConfig("pod-" + f.Prefix, "ns", "p", name, 0, "busybox", rootfs!, ["sleep", "3600"], ["GREETING=hello"]);
        var id = await f.Runtime.CreateContainerAsync(config, CancellationToken.None);
        await f.Runtime.StartContainerAsync(id, CancellationToken.None);
        return id;
    }

    private static async Task<string> ReadAllAsync(Stream? s)
    {
        if (s == null) return "";
        using var ms = new MemoryStream();
        try { await s.CopyToAsync(ms); } catch (IOException) { } // a pty master ends with EIO
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    [Fact]
    public async Task SplitsStreamsAndReportsExitCode()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await RunningContainerAsync("split");
        await using var p = await f.Runtime.ExecAsync(id, new ExecOptions(["sh", "-c", "echo out $GREETING; echo err >&2; exit 3"], false, true, true, false), CancellationToken.None);
        var stdout = ReadAllAsync(p.Stdout);
        var stderr = ReadAllAsync(p.Stderr);
        Assert.Equal(3, await p.Exited.WaitAsync(Bound));
        Assert.Equal("out hello\n", await stdout);
        Assert.Equal("err\n", await stderr);
        Assert.Null(p.Stdin);
    }

    [Fact]
    public async Task StdinReachesTheProcessAndEofEndsIt()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await RunningContainerAsync("stdin");
        await using var p = await f.Runtime.ExecAsync(id, new ExecOptions(["cat"], true, true, true, false), CancellationToken.None);
        var stdout = ReadAllAsync(p.Stdout);
        await p.Stdin!.WriteAsync("line one\nline two\n"u8.ToArray());
        await p.Stdin.DisposeAsync();
        Assert.Equal(0, await p.Exited.WaitAsync(Bound));
        Assert.Equal("line one\nline two\n", await stdout);
    }

    [Fact]
    public async Task TtyGivesATerminalWithItsSize()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await RunningContainerAsync("tty");
        await using var p = await f.Runtime.ExecAsync(id, new ExecOptions(["sh", "-c", "tty; stty size"], false, true, false, true) { Width = 100, Height = 30 }, CancellationToken.None);
        Assert.Null(p.Stderr);
        var stdout = ReadAllAsync(p.Stdout);
        Assert.Equal(0, await p.Exited.WaitAsync(Bound));
        var lines = (await stdout).Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches("^/dev/pts/[0-9]+$", lines[0]);
        Assert.Equal("30 100", lines[1]);
    }

    [Fact]
    public async Task KillEndsALongCommand()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await RunningContainerAsync("kill");
        await using var p = await f.Runtime.ExecAsync(id, new ExecOptions(["sleep", "3600"], false, true, true, false), CancellationToken.None);
        p.Kill();
        Assert.NotEqual(0, await p.Exited.WaitAsync(Bound));
        // Nothing of the exec is left in the container: only its main process (sleep 3600 as pid 1).
        await using var ps = await f.Runtime.ExecAsync(id, new ExecOptions(["sh", "-c", "ls /proc | grep -c '^[0-9]'"], false, true, true, false), CancellationToken.None);
        var count = ReadAllAsync(ps.Stdout);
        Assert.Equal(0, await ps.Exited.WaitAsync(Bound));
        // pid 1, the sh, the grep (ls has exited or is the fourth).
        Assert.InRange(int.Parse((await count).Trim(), System.Globalization.CultureInfo.InvariantCulture), 2, 4);
    }
}
