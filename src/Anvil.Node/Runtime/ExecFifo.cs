using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Anvil.Node.Runtime;

/// <summary>
/// <c>runc start</c> without a runc process. A created container's init waits to open runc's exec FIFO
/// (<c>/run/runc/ID/exec.fifo</c>) for writing until someone opens it for reading; it then writes one byte and
/// execs the container's process, which closes the FIFO. <c>runc start</c> is that read followed by removing the
/// FIFO (runc reports a container whose FIFO still exists as created). Done here, a container start costs no Go
/// process (20-80 ms on a loaded node, on every pod's startup path).
/// </summary>
internal static class ExecFifo
{
    private const string RuncRoot = "/run/runc";
    private const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    private const int F_GETFL = 3, F_SETFL = 4;
    private const int EINTR = 4;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, byte[] buffer, nint count);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int cmd, int arg);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    /// <summary>
    /// Starts the created container <paramref name="id"/>. False when it has no exec FIFO (not runc's layout, or not
    /// in the created state): the caller runs <c>runc start</c>, which says why. Throws IOException when the
    /// container's init died before it could be started.
    /// </summary>
    public static Task<bool> TryStartAsync(string id, Func<bool> initAlive) =>
        // Blocking reads, each short: on a thread of its own rather than the pool's.
        Task.Factory.StartNew(() => TryStart(Path.Combine(RuncRoot, id, "exec.fifo"), initAlive),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static bool TryStart(string fifo, Func<bool> initAlive)
    {
        // Non-blocking open: a reader may open a FIFO without a writer (a blocking open would wait forever for a dead init).
        var fd = Open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) return false;
        try
        {
            var flags = Fcntl(fd, F_GETFL, 0);
            if (flags < 0 || Fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) throw new IOException($"exec fifo: {Marshal.GetLastPInvokeErrorMessage()}");
            var buffer = new byte[16];
            var read = 0;
            var started = Stopwatch.GetTimestamp();
            while (true)
            {
                var n = Read(fd, buffer, buffer.Length);
                if (n > 0)
                {
                    read += (int)n;
                    continue;
                }
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == EINTR) continue;
                    throw new IOException($"reading the exec fifo: {Marshal.GetLastPInvokeErrorMessage()}");
                }
                // End of file: no writer holds the FIFO. After the byte, init has exec'd (or exited): started.
                if (read > 0) break;
                // Before it: init is only now opening it (our open lets it through), or it is gone.
                if (!initAlive()) throw new IOException("container process is already dead");
                if (Stopwatch.GetElapsedTime(started) > s_timeout) throw new IOException("the container's init did not open the exec fifo");
                Thread.Sleep(1);
            }
        }
        finally
        {
            Close(fd);
        }
        try { File.Delete(fifo); } catch (IOException) { }
        return true;
    }
}
