using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.Exec;

/// <summary>
/// Joins an accepted WebSocket (channel protocol, see <see cref="RemoteCommand"/>) and a started
/// <see cref="ExecProcess"/>: output to channels 1 and 2, channel 0 to stdin, resizes from channel 4, stdin
/// closed on <c>[255, 0]</c>; at the end the exit status on channel 3 and a normal close. When the client goes
/// away first the process is killed.
/// </summary>
public static class StreamSession
{
    private const int BufferSize = 32 * 1024;
    private const int MaxResizeMessage = 1024;
    /// <summary>How long output may still drain after the process exited (a background child can hold a pipe).</summary>
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CloseBound = TimeSpan.FromSeconds(5);

    /// <param name="status">The status JSON for an exit code (see <see cref="RemoteCommand.ExitCodeStatus"/>).</param>
    public static async Task RunAsync(WebSocket ws, string protocol, ExecProcess process, ExecOptions options,
        Func<int, byte[]> status, ILogger log, CancellationToken ct)
    {
        using var sendLock = new SemaphoreSlim(1, 1);
        using var clientGone = CancellationTokenSource.CreateLinkedTokenSource(ct);
        async Task SendAsync(byte[] frame)
        {
            await sendLock.WaitAsync(clientGone.Token).ConfigureAwait(false);
            try { await ws.SendAsync(frame, WebSocketMessageType.Binary, true, clientGone.Token).ConfigureAwait(false); }
            finally { sendLock.Release(); }
        }

        try
        {
            // As the kubelet does: an empty message on the lowest writable channel says the streams are ready.
            await SendAsync([options.Stdout ? RemoteCommand.StdoutChannel : options.Stderr ? RemoteCommand.StderrChannel : RemoteCommand.ErrorChannel]).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            process.Kill();
            return;
        }

        var stdout = PumpAsync(process.Stdout, options.Stdout || options.Tty ? RemoteCommand.StdoutChannel : null, SendAsync, clientGone.Token);
        var stderr = PumpAsync(process.Stderr, options.Stderr && !options.Tty ? RemoteCommand.StderrChannel : null, SendAsync, clientGone.Token);
        var input = ReadClientAsync(ws, protocol, process, clientGone.Token);

        var first = await Task.WhenAny(process.Exited, input).ConfigureAwait(false);
        if (first == input && !process.Exited.IsCompleted)
        {
            // The client went away (or the connection broke) while the command ran.
            log.LogInformation("exec client gone; killing the process command={Command}", string.Join(' ', options.Command));
            process.Kill();
            clientGone.Cancel();
            await IgnoreAsync(Task.WhenAll(stdout, stderr, process.Exited)).ConfigureAwait(false);
            return;
        }

        var code = await process.Exited.ConfigureAwait(false);
        await IgnoreAsync(Task.WhenAll(stdout, stderr).WaitAsync(DrainBound, ct)).ConfigureAwait(false);
        try
        {
            await SendAsync(RemoteCommand.Frame(RemoteCommand.ErrorChannel, status(code))).ConfigureAwait(false);
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bound.CancelAfter(CloseBound);
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", bound.Token).ConfigureAwait(false);
            // Wait (bounded) for the client's close so the connection ends cleanly.
            await input.WaitAsync(CloseBound, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException or IOException)
        {
        }
        finally
        {
            clientGone.Cancel();
            await IgnoreAsync(input).ConfigureAwait(false);
        }
    }

    private static async Task PumpAsync(Stream? from, byte? channel, Func<byte[], Task> send, CancellationToken ct)
    {
        if (from == null) return;
        var buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0) return;
                if (channel is { } c) await send(RemoteCommand.Frame(c, buffer.AsSpan(0, n))).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // A pseudo-terminal master reads EIO once the last slave is closed: the end of output.
        }
    }

    /// <summary>Reads the client's messages until it closes; returns when the connection ends.</summary>
    private static async Task ReadClientAsync(WebSocket ws, string protocol, ExecProcess process, CancellationToken ct)
    {
        var buffer = new byte[BufferSize];
        var resize = new MemoryStream();
        int? channel = null;
        try
        {
            while (true)
            {
                var r = await ws.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close) return;
                var data = buffer.AsMemory(0, r.Count);
                if (channel == null)
                {
                    if (data.Length == 0) continue;
                    channel = data.Span[0];
                    data = data[1..];
                }
                switch (channel)
                {
                    case RemoteCommand.StdinChannel:
                        await WriteStdinAsync(process, data, ct).ConfigureAwait(false);
                        break;
                    case RemoteCommand.ResizeChannel:
                        if (resize.Length + data.Length <= MaxResizeMessage) resize.Write(data.Span);
                        if (r.EndOfMessage)
                        {
                            if (RemoteCommand.ParseResize(resize.ToArray()) is { Width: > 0, Height: > 0 } size)
                            {
                                try { process.Resize(size.Width, size.Height); } catch (IOException) { }
                            }
                            resize.SetLength(0);
                        }
                        break;
                    case RemoteCommand.CloseChannel when protocol == RemoteCommand.V5:
                        if (data.Length > 0 && data.Span[0] == RemoteCommand.StdinChannel && process.Stdin is { } stdin)
                            await CloseQuietlyAsync(stdin).ConfigureAwait(false);
                        break;
                }
                if (r.EndOfMessage) channel = null;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
    }

    private static async Task WriteStdinAsync(ExecProcess process, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (process.Stdin is not { CanWrite: true } stdin || data.Length == 0) return;
        try
        {
            await stdin.WriteAsync(data, ct).ConfigureAwait(false);
            await stdin.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The process closed its stdin or ended; later input has nowhere to go.
        }
    }

    private static async Task CloseQuietlyAsync(Stream s)
    {
        try { await s.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
    }

    private static async Task IgnoreAsync(Task t)
    {
        try { await t.ConfigureAwait(false); } catch (Exception) { }
    }
}
