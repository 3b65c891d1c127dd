using System.Runtime.InteropServices;
using System.Text;

namespace Anvil.Toolforge.Accounts;

/// <summary>
/// Writes into homes that their owners control, as root, without ever following a symlink the owner planted:
/// every path component below the trusted root is opened with <c>O_NOFOLLOW</c> relative to its parent's
/// descriptor (<c>openat</c>/<c>mkdirat</c>), files are written to a fresh temporary name (<c>O_CREAT|O_EXCL</c>)
/// and renamed over the target (<c>renameat</c> replaces a symlink, it does not follow it).
/// </summary>
public static class HomeFiles
{
    public const UnixFileMode HomeMode = (UnixFileMode)0b010_111_111_101; // 02775: rwxrwsr-x

    /// <summary>Makes <c>&lt;root&gt;/&lt;name&gt;</c> if missing (owned uid:gid, <paramref name="mode"/>), with the given
    /// subdirectories (same owner, 0775 kept setgid from the parent). Returns true when the home was created.</summary>
    public static bool EnsureHome(string root, string name, int uid, int gid, UnixFileMode mode, params string[] subdirectories)
    {
        Directory.CreateDirectory(root);
        using var rootFd = Fd.Open(root, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_CLOEXEC);
        var created = MkdirAt(rootFd, name, uid, gid, mode);
        using var home = Fd.OpenAt(rootFd, name, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC);
        foreach (var sub in subdirectories) MkdirAt(home, sub, uid, gid, (UnixFileMode)0b111_111_101);
        return created;
    }

    /// <summary>Whether <c>&lt;root&gt;/&lt;name&gt;/&lt;dir&gt;/&lt;file&gt;</c> is a regular file reached without symlinks.</summary>
    public static bool Exists(string root, string name, string dir, string file)
    {
        try
        {
            using var rootFd = Fd.Open(root, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_CLOEXEC);
            using var home = Fd.OpenAt(rootFd, name, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC);
            using var d = Fd.OpenAt(home, dir, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC);
            using var f = Fd.OpenAt(d, file, Native.O_RDONLY | Native.O_NOFOLLOW | Native.O_NONBLOCK | Native.O_CLOEXEC);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Replaces <c>&lt;root&gt;/&lt;name&gt;/&lt;dir&gt;/&lt;file&gt;</c> atomically with <paramref name="contents"/>, owned
    /// uid:gid with <paramref name="mode"/>; <paramref name="dir"/> is created (0755, owned uid:gid) when missing.
    /// The home must exist.
    /// </summary>
    public static void WriteFile(string root, string name, string dir, string file, string contents, int uid, int gid, UnixFileMode mode)
    {
        using var rootFd = Fd.Open(root, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_CLOEXEC);
        using var home = Fd.OpenAt(rootFd, name, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC);
        MkdirAt(home, dir, uid, gid, (UnixFileMode)0b111_101_101);
        using var d = Fd.OpenAt(home, dir, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC);
        var tmp = $".{file}.tmp-{Guid.NewGuid():N}";
        var bytes = Encoding.UTF8.GetBytes(contents);
        try
        {
            using (var f = Fd.OpenAt(d, tmp, Native.O_WRONLY | Native.O_CREAT | Native.O_EXCL | Native.O_NOFOLLOW | Native.O_CLOEXEC, 0b110_000_000))
            {
                var written = 0;
                while (written < bytes.Length)
                {
                    var n = Native.write(f.Value, ref bytes[written], bytes.Length - written);
                    if (n < 0) throw Native.Error("write", tmp);
                    written += (int)n;
                }
                Check(Native.fchown(f.Value, uid, gid), "fchown", tmp);
                Check(Native.fchmod(f.Value, (uint)mode), "fchmod", tmp);
                Check(Native.fsync(f.Value), "fsync", tmp);
            }
            BeforeRename?.Invoke();
            Check(Native.renameat(d.Value, tmp, d.Value, file), "rename", file);
            tmp = "";
        }
        finally
        {
            if (tmp.Length > 0) Native.unlinkat(d.Value, tmp, 0);
        }
    }

    /// <summary>Tests only: runs between writing the temporary file and renaming it, to race the owner.</summary>
    internal static Action? BeforeRename { get; set; }

    /// <summary>Removes <c>&lt;root&gt;/&lt;name&gt;</c> and everything in it; symlinks inside are removed, not followed.</summary>
    public static void Purge(string root, string name)
    {
        if (name.Contains('/') || name is "" or "." or "..") throw new IOException($"refusing path component \"{name}\"");
        var path = Path.Combine(root, name);
        var info = new DirectoryInfo(path);
        if (info.LinkTarget != null)
        {
            File.Delete(path);
            return;
        }
        if (info.Exists) info.Delete(recursive: true);
    }

    private static bool MkdirAt(Fd parent, string name, int uid, int gid, UnixFileMode mode)
    {
        if (Native.mkdirat(parent.Value, name, (uint)mode & 0x1FF) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Native.EEXIST) return false;
            throw Native.Error("mkdir", name, errno);
        }
        using var d = Fd.OpenAt(parent, name, Native.O_RDONLY | Native.O_DIRECTORY | Native.O_NOFOLLOW | Native.O_CLOEXEC);
        Check(Native.fchown(d.Value, uid, gid), "fchown", name);
        // After chown: chown clears setgid, and mkdir's mode is masked by the umask.
        Check(Native.fchmod(d.Value, (uint)mode), "fchmod", name);
        return true;
    }

    private static void Check(int rc, string op, string path)
    {
        if (rc != 0) throw Native.Error(op, path);
    }

    private sealed class Fd : IDisposable
    {
        public int Value { get; }
        private Fd(int value) => Value = value;

        public static Fd Open(string path, int flags)
        {
            var fd = Native.open(path, flags, 0);
            return fd < 0 ? throw Native.Error("open", path) : new Fd(fd);
        }

        public static Fd OpenAt(Fd dir, string name, int flags, uint mode = 0)
        {
            if (name.Contains('/') || name is "" or "." or "..") throw new IOException($"refusing path component \"{name}\"");
            var fd = Native.openat(dir.Value, name, flags, mode);
            return fd < 0 ? throw Native.Error("open", name) : new Fd(fd);
        }

        public void Dispose() => Native.close(Value);
    }

    private static class Native
    {
        // Linux generic values (x86_64); arm64 differs for O_DIRECTORY/O_NOFOLLOW.
        public const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
        public static readonly int O_DIRECTORY = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
        public static readonly int O_NOFOLLOW = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;
        public const int EEXIST = 17, ELOOP = 40, ENOTDIR = 20;

        public static IOException Error(string op, string path, int? errno = null)
        {
            var e = errno ?? Marshal.GetLastPInvokeError();
            var why = e switch { ELOOP => "is a symbolic link", ENOTDIR => "is not a directory (or a symbolic link)", _ => Marshal.GetPInvokeErrorMessage(e) };
            return new IOException($"{op} {path}: {why}");
        }

        [DllImport("libc", SetLastError = true)] public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);
        [DllImport("libc", SetLastError = true)] public static extern int openat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);
        [DllImport("libc", SetLastError = true)] public static extern int mkdirat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
        [DllImport("libc", SetLastError = true)] public static extern int renameat(int olddirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, int newdirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath);
        [DllImport("libc", SetLastError = true)] public static extern int unlinkat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
        [DllImport("libc", SetLastError = true)] public static extern int fchown(int fd, int uid, int gid);
        [DllImport("libc", SetLastError = true)] public static extern int fchmod(int fd, uint mode);
        [DllImport("libc", SetLastError = true)] public static extern int fsync(int fd);
        [DllImport("libc", SetLastError = true)] public static extern int close(int fd);
        [DllImport("libc", SetLastError = true)] public static extern nint write(int fd, ref byte buf, nint count);
    }
}
