using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

/// <summary>runc exec in a running container (exec probes); skipped (passing with a note) when not root or runc is missing.</summary>
public sealed class ExecSyncTests(RuntimeFixture f) : IClassFixture<RuntimeFixture>
{
    private async Task<string> RunningAsync(string name)
    {
        var rootfs = await f.Images.EnsureAsync("busybox", CancellationToken.None);
        Assert.NotNull(rootfs);
        var config = new ContainerConfig("pod-" + f.Prefix, "ns", "p", name, 0, "busybox", rootfs!, ["sh", "-c", "echo ready > /tmp/state; sleep 3600"], ["GREETING=hello"]);
        var id = await f.Runtime.CreateContainerAsync(config, CancellationToken.None);
        await f.Runtime.StartContainerAsync(id, CancellationToken.None);
        return id;
    }

    [Theory]
    [InlineData("exit 0", 0, "", "")]
    [InlineData("exit 3", 3, "", "")]
    [InlineData("echo $GREETING; echo oops >&2; exit 1", 1, "hello\n", "oops\n")]
    [InlineData("cat /nope", 1, "", "cat: can't open '/nope': No such file or directory\n")]
    public async Task ExitCodeAndOutput(string script, int code, string stdout, string stderr)
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await RunningAsync("exec" + code);
        try
        {
            var r = await f.Runtime.ExecSyncAsync(id, ["sh", "-c", script], TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal(new ExecSyncResult(code, stdout, stderr, false), r);
        }
        finally
        {
            await f.Runtime.StopContainerAsync(id, TimeSpan.Zero, CancellationToken.None);
            await f.Runtime.RemoveContainerAsync(id, CancellationToken.None);
        }
    }

    [Fact]
    public async Task TimeoutKillsTheCommandAndOutputIsBounded()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await RunningAsync("slow");
        try
        {
            var r = await f.Runtime.ExecSyncAsync(id, ["sh", "-c", "echo started; exec sleep 600"], TimeSpan.FromSeconds(1), CancellationToken.None);
            Assert.True(r.TimedOut);
            Assert.Equal("started\n", r.Stdout);
            // The sleep inside the container is gone too, not only runc exec.
            var ps = await f.Runtime.ExecSyncAsync(id, ["sh", "-c", "ps -o comm | grep -c '^sleep$'"], TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal("1\n", ps.Stdout);

            var big = await f.Runtime.ExecSyncAsync(id, ["sh", "-c", "yes | head -c 100000"], TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal(0, big.ExitCode);
            Assert.Equal(RuncRuntime.ExecOutputLimit, big.Stdout.Length);
            // A container that does not run: runc says so, not an exception.
            await f.Runtime.StopContainerAsync(id, TimeSpan.Zero, CancellationToken.None);
            var stopped = await f.Runtime.ExecSyncAsync(id, ["true"], TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.NotEqual(0, stopped.ExitCode);
        }
        finally
        {
            await f.Runtime.StopContainerAsync(id, TimeSpan.Zero, CancellationToken.None);
            await f.Runtime.RemoveContainerAsync(id, CancellationToken.None);
        }
    }
}
