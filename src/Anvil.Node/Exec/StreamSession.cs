using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.Exec;

/// <summary>
/// Joins an accepted WebSocket (channel protocol, see <see cref="RemoteCommand"/>) and an exec'd process:
/// output to channels 1 and 2, channel 0 to stdin, resizes from channel 4, stdin closed on <c>[255, 0]</c>; at the
/// end the exit status on channel 3 and a normal close. When the client goes away first the process is killed.
/// </summary>
public static class StreamSession
{
    private const int BufferSize = 32 * 1024;
    /// <summary>How long output may still drain after the process exited (a background child can hold a pipe).</summary>
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CloseBound = TimeSpan.FromSeconds(5);
    /// <summary>With a tty, how long to wait for the client's first resize so the command starts at the right size.</summary>
    private static readonly TimeSpan FirstResizeBound = TimeSpan.FromSeconds(1);

    /// <param name="start">Starts the process (with the terminal size, when the client sent one first).</param>
    /// <param name="status">The status JSON for an exit code (see <see cref="RemoteCommand.ExitCodeStatus"/>).</param>
    /// <param name="attach">An attach session: a failure to start is "error attaching to container", and a client that goes
    /// away detaches (<see cref="ExecProcess.Kill"/> of an attach session leaves the container running).</param>
    public static async Task RunAsync(WebSocket ws, string protocol, ExecOptions options, Func<ExecOptions, CancellationToken, Task<ExecProcess>> start,
        Func<int, byte[]> status, ILogger log, CancellationToken ct, bool attach = false)
    {
        var failure = attach ? "error attaching to container" : "error executing command in container";
        using var sendLock = new SemaphoreSlim(1, 1);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(ct);
        async Task SendAsync(byte[] frame)
        {
            await sendLock.WaitAsync(session.Token).ConfigureAwait(false);
            try { await ws.SendAsync(frame, WebSocketMessageType.Binary, true, session.Token).ConfigureAwait(false); }
            finally { sendLock.Release(); }
        }

        var reader = new MessageReader(ws);
        // A receive is never cancelled (that would abort the socket): the first one may stay pending into the loop.
        Task<byte[]?>? first = null;
        ExecProcess process;
        try
        {
            // As the kubelet does: an empty message on the lowest writable channel says the streams are ready.
            await SendAsync([options.Stdout ? RemoteCommand.StdoutChannel : options.Stderr ? RemoteCommand.StderrChannel : RemoteCommand.ErrorChannel]).ConfigureAwait(false);
            if (options.Tty)
            {
                first = reader.NextAsync(session.Token);
                if (await Task.WhenAny(first, Task.Delay(FirstResizeBound, ct)).ConfigureAwait(false) == first
                    && await first.ConfigureAwait(false) is [RemoteCommand.ResizeChannel, ..] message)
                {
                    if (RemoteCommand.ParseResize(message.AsSpan(1)) is { Width: > 0, Height: > 0 } size)
                        options = options with { Width = size.Width, Height = size.Height };
                    first = null;
                }
            }
            try
            {
                process = await start(options, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
            {
                await SendAsync(RemoteCommand.Frame(RemoteCommand.ErrorChannel, RemoteCommand.FailureStatus($"{failure}: {e.Message}"))).ConfigureAwait(false);
                await CloseAsync(ws, first ?? reader.NextAsync(session.Token), ct).ConfigureAwait(false);
                return;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            return;
        }

        await using (process.ConfigureAwait(false))
        {
            var stdout = PumpAsync(process.Stdout, options.Stdout || options.Tty ? RemoteCommand.StdoutChannel : null, SendAsync, session.Token);
            var stderr = PumpAsync(process.Stderr, options.Stderr && !options.Tty ? RemoteCommand.StderrChannel : null, SendAsync, session.Token);
            var input = ReadClientAsync(reader, first, protocol, process, session.Token);

            if (await Task.WhenAny(process.Exited, input).ConfigureAwait(false) == input && !process.Exited.IsCompleted)
            {
                if (attach) log.LogInformation("attach client gone; detaching");
                else log.LogInformation("exec client gone; killing the process command={Command}", string.Join(' ', options.Command));
                process.Kill();
                session.Cancel();
                await IgnoreAsync(Task.WhenAll(stdout, stderr, process.Exited)).ConfigureAwait(false);
                return;
            }

            var code = await process.Exited.ConfigureAwait(false);
            await IgnoreAsync(Task.WhenAll(stdout, stderr).WaitAsync(DrainBound, ct)).ConfigureAwait(false);
            try
            {
                await SendAsync(RemoteCommand.Frame(RemoteCommand.ErrorChannel, status(code))).ConfigureAwait(false);
                await CloseAsync(ws, input, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
            {
            }
            finally
            {
                session.Cancel();
                await IgnoreAsync(input).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Closes our side, then waits (bounded) for the client's close so the connection ends cleanly.</summary>
    private static async Task CloseAsync(WebSocket ws, Task reading, CancellationToken ct)
    {
        try
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bound.CancelAfter(CloseBound);
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", bound.Token).ConfigureAwait(false);
            await reading.WaitAsync(CloseBound, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException or IOException)
        {
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

    /// <summary>Handles the client's messages until it closes; returns when the connection ends.</summary>
    private static async Task ReadClientAsync(MessageReader reader, Task<byte[]?>? first, string protocol, ExecProcess process, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var message = first != null ? await first.ConfigureAwait(false) : await reader.NextAsync(ct).ConfigureAwait(false);
                first = null;
                if (message == null) return;
                if (message.Length == 0) continue;
                var data = message.AsMemory(1);
                switch (message[0])
                {
                    case RemoteCommand.StdinChannel:
                        await WriteStdinAsync(process, data, ct).ConfigureAwait(false);
                        break;
                    case RemoteCommand.ResizeChannel:
                        if (RemoteCommand.ParseResize(data.Span) is { Width: > 0, Height: > 0 } size)
                        {
                            try { process.Resize(size.Width, size.Height); } catch (IOException) { }
                        }
                        break;
                    case RemoteCommand.CloseChannel when protocol == RemoteCommand.V5:
                        if (data.Length > 0 && data.Span[0] == RemoteCommand.StdinChannel && process.Stdin is { } stdin)
                            await CloseQuietlyAsync(stdin).ConfigureAwait(false);
                        break;
                }
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
