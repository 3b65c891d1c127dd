using System.Runtime.InteropServices;

namespace Anvil.Node.Volumes;

/// <summary>The few libc calls .NET has no API for: ownership, rename over symlinks, stat, mount points.</summary>
internal static class Posix
{
    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int LChown(string path, int uid, int gid);

    [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int RenameNative(string from, string to);

    /// <summary>rename(2): atomically replaces <paramref name="to"/> (also a symlink, which File.Move cannot move).</summary>
    public static void Rename(string from, string to)
    {
        if (RenameNative(from, to) != 0) throw new IOException($"rename {from} {to}: errno {Marshal.GetLastWin32Error()}");
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat(string path, [Out] byte[] buf);

    /// <summary>st_mode of a path (following symlinks; x86_64 struct stat layout), null when it does not exist.</summary>
    public static uint? StatMode(string path)
    {
        var buf = new byte[256];
        if (Stat(path, buf) != 0) return null;
        return BitConverter.ToUInt32(buf, 24);
    }

    /// <summary>st_gid of a path (x86_64 layout), null when it does not exist.</summary>
    public static uint? StatGroup(string path)
    {
        var buf = new byte[256];
        if (Stat(path, buf) != 0) return null;
        return BitConverter.ToUInt32(buf, 32);
    }

    /// <summary>Sets the group of a path (not following a symlink); -1 leaves the owner.</summary>
    public static void SetGroup(string path, long gid)
    {
        if (LChown(path, -1, (int)gid) != 0) throw new IOException($"chown {path}: errno {Marshal.GetLastWin32Error()}");
    }

    /// <summary>True when <paramref name="path"/> is a mount point of this mount namespace.</summary>
    public static bool IsMountPoint(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                var fields = line.Split(' ');
                if (fields.Length > 4 && Unescape(fields[4]) == full) return true;
            }
        }
        catch (IOException)
        {
        }
        return false;
    }

    private static string Unescape(string s) => s.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
        .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
