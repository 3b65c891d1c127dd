using System.Runtime.InteropServices;
using Anvil.Node.Runtime;

namespace Anvil.Node.Network;

/// <summary>
/// Named network namespaces as <c>ip netns add/delete</c> make them (a namespace bind-mounted on
/// <c>/run/netns/NAME</c>), without a process per pod: made on a thread of its own that unshares its network
/// namespace, pins it and ends, so no other work of this process ever runs in it. The first one goes through
/// <c>ip netns add</c>, which also makes /run/netns a shared mount (so the pins reach other mount namespaces).
/// </summary>
internal static class NetNamespace
{
    private const string RunDir = "/run/netns";
    private const int CLONE_NEWNET = 0x40000000;
    private const ulong MS_BIND = 4096;

    [DllImport("libc", EntryPoint = "unshare", SetLastError = true)]
    private static extern int Unshare(int flags);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();

    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    private static extern int Mount(string source, string target, string? fstype, ulong flags, string? data);

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static extern int Socket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int Ioctl(int fd, ulong request, byte[] ifreq);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    private const int AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
    private const ulong SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
    private const short IFF_UP = 1;

    public static string PathOf(string name) => Path.Combine(RunDir, name);

    /// <summary>
    /// Creates the named namespace (nothing to do when it exists); throws IOException. True when this made it with
    /// its loopback interface up (what the CNI loopback plugin does), so that plugin need not run.
    /// </summary>
    public static async Task<bool> AddAsync(string name, CancellationToken ct)
    {
        var path = PathOf(name);
        if (File.Exists(path)) return false;
        if (!RunDirShared())
        {
            var (code, _, err) = await HostCommand.RunAsync("ip", ["netns", "add", name], ct).ConfigureAwait(false);
            if (code != 0 && !File.Exists(path)) throw new IOException($"ip netns add {name}: {err.Trim()}");
            return false;
        }
        var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { done.TrySetResult(Pin(path)); }
            catch (Exception e) { done.TrySetResult(e.Message); }
        }) { IsBackground = true, Name = "netns " + name };
        thread.Start();
        if (await done.Task.ConfigureAwait(false) is { } error)
        {
            TryDelete(path);
            throw new IOException($"creating network namespace {name}: {error}");
        }
        return true;
    }

    /// <summary>On a thread that ends right after: a new network namespace for it, bind-mounted on <paramref name="path"/>.</summary>
    private static string? Pin(string path)
    {
        // Like ip: an empty file to mount on, created exclusively.
        using (new FileStream(path, FileMode.CreateNew, FileAccess.Write)) { }
        if (Unshare(CLONE_NEWNET) != 0) return "unshare: " + Marshal.GetLastPInvokeErrorMessage();
        if (LoopbackUp() is { } lo) return lo;
        return Mount($"/proc/self/task/{GetTid()}/ns/net", path, "none", MS_BIND, null) == 0 ? null : "mount: " + Marshal.GetLastPInvokeErrorMessage();
    }

    /// <summary>
    /// Sets lo up in this thread's (new) network namespace, as the CNI loopback plugin does (the kernel then gives it
    /// 127.0.0.1/8 and ::1): one Go process less per pod.
    /// </summary>
    private static string? LoopbackUp()
    {
        var fd = Socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return "socket: " + Marshal.GetLastPInvokeErrorMessage();
        try
        {
            // struct ifreq: the name (16 bytes), then ifr_flags (a short) in the union.
            var ifreq = new byte[40];
            "lo"u8.CopyTo(ifreq);
            if (Ioctl(fd, SIOCGIFFLAGS, ifreq) != 0) return "SIOCGIFFLAGS lo: " + Marshal.GetLastPInvokeErrorMessage();
            var flags = (short)(BitConverter.ToInt16(ifreq, 16) | IFF_UP);
            BitConverter.TryWriteBytes(ifreq.AsSpan(16), flags);
            return Ioctl(fd, SIOCSIFFLAGS, ifreq) == 0 ? null : "SIOCSIFFLAGS lo: " + Marshal.GetLastPInvokeErrorMessage();
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>Unpins and removes the named namespace (it ends once nothing uses it); nothing to do when it is gone.</summary>
    public static void Delete(string name)
    {
        var path = PathOf(name);
        if (!File.Exists(path)) return;
        Mounts.Unmount(path);
        TryDelete(path);
        if (File.Exists(path)) throw new IOException($"removing network namespace {name} failed");
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static volatile bool s_runDirShared;

    /// <summary>
    /// /run/netns is a mount point of its own with shared propagation (ip netns add sets that up once). Once seen it
    /// is not read again: mountinfo grows with every container's rootfs, and this ran for every pod.
    /// </summary>
    private static bool RunDirShared() => s_runDirShared || (s_runDirShared = ReadRunDirShared());

    private static bool ReadRunDirShared()
    {
        try
        {
            // id parent major:minor root mount-point options optional-fields... - fstype source super-options; the last
            // mount on a point is the one in effect.
            var shared = false;
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                var fields = line.Split(' ');
                if (fields.Length > 6 && fields[4] == RunDir)
                    shared = fields.Skip(6).TakeWhile(f => f != "-").Any(f => f.StartsWith("shared:", StringComparison.Ordinal));
            }
            return shared;
        }
        catch (IOException)
        {
        }
        return false;
    }
}
