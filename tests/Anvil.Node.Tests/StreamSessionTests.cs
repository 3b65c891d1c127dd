using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Anvil.Node.Exec;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Node.Tests;

/// <summary>The channel protocol end to end over a real WebSocket pair, with a scripted process.</summary>
public sealed class StreamSessionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>A process whose streams are pipes the test drives.</summary>
    private sealed class FakeProcess : ExecProcess
    {
        public readonly Pipe In = new(), Out = new(), Err = new();
        public readonly TaskCompletionSource<int> Exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly List<(ushort, ushort)> Resizes = [];
        public bool Killed;

        public FakeProcess()
        {
            Stdin = In.Writer.AsStream();
            Stdout = Out.Reader.AsStream();
            Stderr = Err.Reader.AsStream();
        }

        public override Task<int> Exited => Exit.Task;
        public override void Resize(ushort width, ushort height) { lock (Resizes) Resizes.Add((width, height)); }
        public override void Kill() { Killed = true; Out.Writer.Complete(); Err.Writer.Complete(); Exit.TrySetResult(137); }
        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static async Task<(WebSocket Server, WebSocket Client)> PairAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var server = await listener.AcceptTcpClientAsync();
        return (WebSocket.CreateFromStream(server.GetStream(), true, RemoteCommand.V5, Timeout.InfiniteTimeSpan),
            WebSocket.CreateFromStream(client.GetStream(), false, RemoteCommand.V5, Timeout.InfiniteTimeSpan));
    }

    private static async Task<byte[]?> ReceiveAsync(WebSocket ws)
    {
        var buffer = new byte[64 * 1024];
        using var ms = new MemoryStream();
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Bound);
            if (r.MessageType == WebSocketMessageType.Close) return null;
            ms.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return ms.ToArray();
        }
    }

    private static async Task<byte[]> MessageAsync(WebSocket ws) =>
        await ReceiveAsync(ws) ?? throw new Xunit.Sdk.XunitException("the server closed instead of sending a message");

    private static byte[] Frame(byte channel, string text = "") => [channel, .. Encoding.UTF8.GetBytes(text)];

    private static Task SendAsync(WebSocket ws, params byte[] frame) => ws.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);

    [Fact]
    public async Task OutputStdinCloseAndExitStatus()
    {
        var (server, client) = await PairAsync();
        var process = new FakeProcess();
        var options = new ExecOptions(["cat"], true, true, true, false);
        var session = StreamSession.RunAsync(server, RemoteCommand.V5, options, (_, _) => Task.FromResult<ExecProcess>(process),
            code => RemoteCommand.ExitCodeStatus(["cat"], code), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(Frame(RemoteCommand.StdoutChannel), await MessageAsync(client)); // ready
        await SendAsync(client, Frame(RemoteCommand.StdinChannel, "abc"));
        await SendAsync(client, Frame(RemoteCommand.ResizeChannel, "{\"Width\":9,\"Height\":4}"));
        await SendAsync(client, RemoteCommand.CloseChannel, RemoteCommand.StdinChannel);
        // stdin arrives, then ends (the close message).
        var input = await new StreamReader(process.In.Reader.AsStream()).ReadToEndAsync().WaitAsync(Bound);
        Assert.Equal("abc", input);

        await process.Out.Writer.WriteAsync("out"u8.ToArray());
        Assert.Equal(Frame(RemoteCommand.StdoutChannel, "out"), await MessageAsync(client));
        await process.Err.Writer.WriteAsync("err"u8.ToArray());
        Assert.Equal(Frame(RemoteCommand.StderrChannel, "err"), await MessageAsync(client));
        process.Out.Writer.Complete();
        process.Err.Writer.Complete();
        process.Exit.SetResult(2);

        var status = await MessageAsync(client);
        Assert.Equal(RemoteCommand.ErrorChannel, status[0]);
        Assert.Contains("\"reason\":\"NonZeroExitCode\"", Encoding.UTF8.GetString(status, 1, status.Length - 1));
        Assert.Null(await ReceiveAsync(client)); // the server's close
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await session.WaitAsync(Bound);
        Assert.Equal([((ushort)9, (ushort)4)], process.Resizes);
        Assert.False(process.Killed);
    }

    [Fact]
    public async Task ClientGoingAwayKillsTheProcess()
    {
        var (server, client) = await PairAsync();
        var process = new FakeProcess();
        var session = StreamSession.RunAsync(server, RemoteCommand.V5, new ExecOptions(["sleep", "1000"], false, true, true, false),
            (_, _) => Task.FromResult<ExecProcess>(process), _ => RemoteCommand.SuccessStatus(), NullLogger.Instance, CancellationToken.None);
        Assert.Equal(Frame(RemoteCommand.StdoutChannel), await MessageAsync(client));

        client.Abort();
        await session.WaitAsync(Bound);

        Assert.True(process.Killed);
    }

    [Fact]
    public async Task TtyWaitsForTheFirstResizeToStartAtThatSize()
    {
        var (server, client) = await PairAsync();
        var process = new FakeProcess();
        ExecOptions? started = null;
        var session = StreamSession.RunAsync(server, RemoteCommand.V5, new ExecOptions(["sh"], true, true, false, true),
            (o, _) => { started = o; return Task.FromResult<ExecProcess>(process); }, _ => RemoteCommand.SuccessStatus(), NullLogger.Instance, CancellationToken.None);
        Assert.Equal(Frame(RemoteCommand.StdoutChannel), await MessageAsync(client));
        await SendAsync(client, Frame(RemoteCommand.ResizeChannel, "{\"Width\":120,\"Height\":40}"));
        process.Out.Writer.Complete();
        process.Exit.SetResult(0);

        Assert.Equal(Frame(RemoteCommand.ErrorChannel, "{\"metadata\":{},\"status\":\"Success\"}"), await MessageAsync(client));
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await session.WaitAsync(Bound);
        Assert.Equal(((ushort)120, (ushort)40), (started!.Width, started.Height));
    }

    [Theory]
    [InlineData(false, "error executing command in container: no such container")]
    [InlineData(true, "error attaching to container: no such container")]
    public async Task AFailedStartIsReportedOnTheErrorChannel(bool attach, string message)
    {
        var (server, client) = await PairAsync();
        var session = StreamSession.RunAsync(server, RemoteCommand.V5, new ExecOptions(attach ? [] : ["true"], false, true, true, false),
            (_, _) => Task.FromException<ExecProcess>(new IOException("no such container")), _ => RemoteCommand.SuccessStatus(),
            NullLogger.Instance, CancellationToken.None, attach);
        Assert.Equal(Frame(RemoteCommand.StdoutChannel), await MessageAsync(client));

        Assert.Equal(Frame(RemoteCommand.ErrorChannel, "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"" + message + "\"}"), await MessageAsync(client));
        Assert.Null(await ReceiveAsync(client));
        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await session.WaitAsync(Bound);
    }
}
