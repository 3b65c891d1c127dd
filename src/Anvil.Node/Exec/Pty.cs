using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Anvil.Node.Exec;

/// <summary>
/// A pseudo-terminal pair from /dev/ptmx: the master stays with the agent (read for output, written for input,
/// resized with TIOCSWINSZ); the slave is opened by path in the child (<see cref="SlavePath"/>).
/// </summary>
internal sealed class Pty : IDisposable
{
    private const int O_RDWR = 0x2, O_NOCTTY = 0x100, O_CLOEXEC = 0x80000;
    private const int F_DUPFD_CLOEXEC = 1030;
    private const nuint TIOCSWINSZ = 0x5414;

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Row, Col, XPixel, YPixel;
    }

    [DllImport("libc", SetLastError = true)] private static extern int posix_openpt(int flags);
    [DllImport("libc", SetLastError = true)] private static extern int grantpt(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int unlockpt(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int ptsname_r(int fd, byte[] buf, nuint len);
    [DllImport("libc", SetLastError = true)] private static extern int ioctl(int fd, nuint request, ref WinSize size);
    [DllImport("libc", SetLastError = true)] private static extern int fcntl(int fd, int cmd, int arg);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);

    private readonly int _master;
    private bool _disposed;

    private Pty(int master, string slavePath)
    {
        _master = master;
        SlavePath = slavePath;
    }

    public string SlavePath { get; }

    public static Pty Open()
    {
        var fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) throw new IOException($"posix_openpt failed: errno {Marshal.GetLastPInvokeError()}");
        var name = new byte[128];
        if (grantpt(fd) != 0 || unlockpt(fd) != 0 || ptsname_r(fd, name, (nuint)name.Length) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            close(fd);
            throw new IOException($"setting up the pseudo-terminal failed: errno {errno}");
        }
        return new Pty(fd, Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0)));
    }

    /// <summary>A stream on a duplicate of the master fd (separate ones for reading and writing).</summary>
    public FileStream OpenMaster(FileAccess access)
    {
        var fd = fcntl(_master, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) throw new IOException($"dup of the pseudo-terminal failed: errno {Marshal.GetLastPInvokeError()}");
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), access, bufferSize: 0);
    }

    public void Resize(ushort width, ushort height)
    {
        var size = new WinSize { Col = width, Row = height };
        if (ioctl(_master, TIOCSWINSZ, ref size) != 0)
            throw new IOException($"TIOCSWINSZ failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        close(_master);
    }
}
