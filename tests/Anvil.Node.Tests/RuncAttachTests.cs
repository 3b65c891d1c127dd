using System.Text;
using Anvil.Node.Exec;
using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

/// <summary>Attach to real runc containers under conmon: stdin and output, stdinOnce, a terminal and its size, output only.</summary>
public sealed class RuncAttachTests(RuntimeFixture f) : IClassFixture<RuntimeFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private async Task<string> StartAsync(string name, ContainerStdio stdio, params string[] args)
    {
        var rootfs = await f.Images.EnsureAsync("busybox", CancellationToken.None);
        Assert.NotNull(rootfs);
        var config = new ContainerConfig("pod-" + f.Prefix, "ns", "p", name, 0, "busybox", rootfs!, args, [], Stdio: stdio);
        var id = await f.Runtime.CreateContainerAsync(config, CancellationToken.None);
        await f.Runtime.StartContainerAsync(id, CancellationToken.None);
        return id;
    }

    private static async Task<string> ReadAllAsync(Stream? s)
    {
        if (s == null) return "";
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private async Task<int> ExitCodeAsync(string id)
    {
        for (var i = 0; i < 600; i++)
        {
            if (await f.Runtime.ContainerStatusAsync(id, CancellationToken.None) is { State: ContainerState.Exited } s) return s.ExitCode;
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException("the container did not exit");
    }

    [Fact]
    public async Task StdinOnceReachesTheProcessAndItsEndEndsTheSession()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await StartAsync("once", new ContainerStdio(true, true, false), "sh", "-c", "read x; echo got $x; cat; echo err >&2; exit 3");

        Assert.Equal(new ContainerStdio(true, true, false), await f.Runtime.ContainerStdioAsync(id, CancellationToken.None));
        await using var p = await f.Runtime.AttachAsync(id, new ExecOptions([], true, true, true, false), CancellationToken.None);
        var stdout = ReadAllAsync(p.Stdout);
        var stderr = ReadAllAsync(p.Stderr);
        await p.Stdin!.WriteAsync("hello\nrest\n"u8.ToArray());
        // The end of stdin closes the container's stdin (cat ends); the session lasts until the container has exited.
        await p.Stdin.DisposeAsync();

        Assert.Equal(0, await p.Exited.WaitAsync(Bound));
        Assert.Equal("got hello\nrest\n", await stdout.WaitAsync(Bound));
        Assert.Equal("err\n", await stderr.WaitAsync(Bound));
        Assert.Equal(3, await ExitCodeAsync(id));
    }

    [Fact]
    public async Task WithoutStdinOnceTheContainerOutlivesTheSession()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await StartAsync("open", new ContainerStdio(true, false, false), "sh", "-c", "while read x; do echo got $x; done; echo eof");

        await using (var first = await f.Runtime.AttachAsync(id, new ExecOptions([], true, true, true, false), CancellationToken.None))
        {
            var reader = new StreamReader(first.Stdout!);
            await first.Stdin!.WriteAsync("one\n"u8.ToArray());
            Assert.Equal("got one", await reader.ReadLineAsync().WaitAsync(Bound));
            // Closing stdin detaches (CRI-O's attach without stdinOnce) and leaves the container's stdin open.
            await first.Stdin.DisposeAsync();
            Assert.Equal(0, await first.Exited.WaitAsync(Bound));
        }
        Assert.Equal(ContainerState.Running, (await f.Runtime.ContainerStatusAsync(id, CancellationToken.None))!.State);

        await using var second = await f.Runtime.AttachAsync(id, new ExecOptions([], true, true, true, false), CancellationToken.None);
        var again = new StreamReader(second.Stdout!);
        await second.Stdin!.WriteAsync("two\n"u8.ToArray());
        Assert.Equal("got two", await again.ReadLineAsync().WaitAsync(Bound));
    }

    [Fact]
    public async Task TtyHasTheClientsSizeAndOneOutputStream()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await StartAsync("tty", new ContainerStdio(true, true, true), "sh", "-c", "read x; echo got $x; tty; stty size; exit 4");

        await using var p = await f.Runtime.AttachAsync(id, new ExecOptions([], true, true, true, true) { Width = 80, Height = 20 }, CancellationToken.None);
        Assert.Null(p.Stderr);
        var stdout = ReadAllAsync(p.Stdout);
        // kubectl attach sends a size one larger first, then the real one.
        p.Resize(101, 31);
        p.Resize(100, 30);
        await p.Stdin!.WriteAsync("abc\r"u8.ToArray());

        Assert.Equal(0, await p.Exited.WaitAsync(Bound));
        var lines = (await stdout.WaitAsync(Bound)).Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The terminal echoes the input, then the command's lines.
        Assert.Equal("abc", lines[0]);
        Assert.Equal("got abc", lines[1]);
        Assert.Matches("^/dev/pts/[0-9]+$", lines[2]);
        Assert.Equal("30 100", lines[3]);
        Assert.Equal(4, await ExitCodeAsync(id));
    }

    [Fact]
    public async Task OutputOnlyAndDetachLeavesTheContainerRunning()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await StartAsync("ticks", ContainerStdio.None, "sh", "-c", "while true; do echo tick; echo tock >&2; sleep 0.2; done");

        await using (var p = await f.Runtime.AttachAsync(id, new ExecOptions([], false, true, true, false), CancellationToken.None))
        {
            Assert.Null(p.Stdin);
            Assert.Equal("tick", await new StreamReader(p.Stdout!).ReadLineAsync().WaitAsync(Bound));
            Assert.Equal("tock", await new StreamReader(p.Stderr!).ReadLineAsync().WaitAsync(Bound));
            p.Kill();
            Assert.Equal(0, await p.Exited.WaitAsync(Bound));
        }
        Assert.Equal(ContainerState.Running, (await f.Runtime.ContainerStatusAsync(id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task AnExitedContainerCannotBeAttached()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await StartAsync("gone", ContainerStdio.None, "true");
        Assert.Equal(0, await ExitCodeAsync(id));

        var e = await Assert.ThrowsAsync<IOException>(() => f.Runtime.AttachAsync(id, new ExecOptions([], false, true, true, false), CancellationToken.None));
        Assert.StartsWith("failed to connect to the container's attach socket: ", e.Message);
    }
}
