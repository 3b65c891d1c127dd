using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Anvil.Node.Runtime;

namespace Anvil.Node.Exec;

/// <summary>
/// An attach session to a container's main process through conmon's attach socket (<see cref="ConmonAttach"/>).
/// <see cref="Exited"/> completes (with 0: attach has no exit code of its own) when conmon closes the socket, which it
/// does when the container has ended, or when the session detaches. <see cref="Kill"/> detaches: the container keeps
/// running, as with any attach client that goes away. Closing <see cref="ExecProcess.Stdin"/> ends the container's
/// stdin when the container was made with <c>stdinOnce</c>; otherwise (without a tty) it ends the session, as CRI-O does.
/// </summary>
internal sealed class ConmonAttachProcess : ExecProcess
{
    private const int O_WRONLY = 0x1, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;

    [DllImport("libc", SetLastError = true)] private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
    [DllImport("libc", SetLastError = true)] private static extern nint write(int fd, byte[] buf, nint count);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int ioctl(int fd, nuint request, out int value);

    private const nuint FIONREAD = 0x541B;
    /// <summary>How long a resize waits for conmon to take the previous one: 100 × 5 ms.</summary>
    private const int ResizeSettleChecks = 100;
    private static readonly TimeSpan ResizeSettleStep = TimeSpan.FromMilliseconds(5);

    /// <summary>Output buffered for a slow client before the socket is no longer read (conmon then drops this client's output).</summary>
    private const long OutputBufferLimit = 16 * 1024 * 1024;

    private readonly Socket _socket;
    private readonly string _bundle;
    private readonly bool _tty;
    private readonly Pipe _stdout = NewPipe(), _stderr = NewPipe();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;
    private readonly Lock _resizeLock = new();
    private int _detached;

    private ConmonAttachProcess(Socket socket, string bundle, ContainerStdio stdio, ExecOptions options)
    {
        _socket = socket;
        _bundle = bundle;
        _tty = stdio.Tty;
        Stdout = _stdout.Reader.AsStream();
        Stderr = _tty ? null : _stderr.Reader.AsStream();
        // Without stdinOnce and a tty, the end of the client's stdin ends the session (CRI-O's attach).
        if (options.Stdin) Stdin = new SeqpacketStdin(socket, onClosed: !stdio.StdinOnce && !stdio.Tty ? Detach : null);
        _reading = ReadAsync();
    }

    private static Pipe NewPipe() => new(new PipeOptions(pauseWriterThreshold: OutputBufferLimit, resumeWriterThreshold: OutputBufferLimit / 2));

    /// <summary>Connects to the container's attach socket in <paramref name="bundle"/>; the terminal gets the options' size.</summary>
    public static async Task<ConmonAttachProcess> ConnectAsync(string bundle, ContainerStdio stdio, ExecOptions options, CancellationToken ct)
    {
        // The bundle path may be longer than a socket address allows: connect through a descriptor of the directory.
        var dir = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) throw new IOException($"the container's bundle cannot be opened: errno {Marshal.GetLastPInvokeError()}");
        var socket = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint($"/proc/self/fd/{dir}/{ConmonAttach.SocketName}"), ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"failed to connect to the container's attach socket: {e.Message}", e);
        }
        finally
        {
            close(dir);
        }
        var process = new ConmonAttachProcess(socket, bundle, stdio, options);
        if (stdio.Tty && options.Width > 0 && options.Height > 0)
        {
            try { process.Resize(options.Width, options.Height); } catch (IOException) { }
        }
        return process;
    }

    public override Task<int> Exited => _exited.Task;

    private async Task ReadAsync()
    {
        var buffer = new byte[ConmonAttach.ReceiveBufferSize];
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (n == 0) break;
                if (ConmonAttach.ParsePacket(buffer.AsMemory(0, n)) is not { } packet) continue;
                var to = packet.Pipe switch
                {
                    ConmonAttach.StdoutPipe => _stdout.Writer,
                    ConmonAttach.StderrPipe when !_tty => _stderr.Writer,
                    _ => null,
                };
                if (to != null && packet.Data.Length > 0) await to.WriteAsync(packet.Data, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Detached, or conmon went away: the session's output ends here either way.
        }
        finally
        {
            await _stdout.Writer.CompleteAsync().ConfigureAwait(false);
            await _stderr.Writer.CompleteAsync().ConfigureAwait(false);
            _exited.TrySetResult(0);
        }
    }

    /// <summary>
    /// Sets the container's terminal size through conmon's ctl fifo (no-op without a tty). conmon (2.1.6 here) applies only
    /// the first of several resize lines that it reads at once, and kubectl attach sends two sizes right after another:
    /// so a resize is written only once conmon has taken the previous one from its fifos (bounded wait).
    /// </summary>
    public override void Resize(ushort width, ushort height)
    {
        if (!_tty) return;
        lock (_resizeLock)
        {
            // Non-blocking: opening a fifo whose conmon has gone fails (ENXIO) instead of waiting for a reader forever.
            var fd = open(Path.Combine(_bundle, ConmonAttach.ControlFifoName), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) throw new IOException($"the container's control fifo cannot be opened: errno {Marshal.GetLastPInvokeError()}");
            var winsz = open(Path.Combine(_bundle, ConmonAttach.WindowSizeFifoName), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            try
            {
                for (var i = 0; i < ResizeSettleChecks && (Pending(fd) || Pending(winsz)); i++) Thread.Sleep(ResizeSettleStep);
                var line = Encoding.ASCII.GetBytes(ConmonAttach.ResizeMessage(width, height));
                if (write(fd, line, line.Length) != line.Length) throw new IOException($"writing the resize failed: errno {Marshal.GetLastPInvokeError()}");
            }
            finally
            {
                close(fd);
                if (winsz >= 0) close(winsz);
            }
        }
    }

    /// <summary>Whether a fifo still holds bytes its reader has not taken (FIONREAD works on either end of a pipe).</summary>
    private static bool Pending(int fd) => fd >= 0 && ioctl(fd, FIONREAD, out var n) == 0 && n > 0;

    /// <summary>Detaches (the container keeps running).</summary>
    public override void Kill() => Detach();

    private void Detach()
    {
        if (Interlocked.Exchange(ref _detached, 1) != 0) return;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        _stop.Cancel();
    }

    public override async ValueTask DisposeAsync()
    {
        Detach();
        try { await _reading.ConfigureAwait(false); } catch (Exception) { }
        _socket.Dispose();
        _stop.Dispose();
    }
}
