using System.Runtime.InteropServices;

namespace Anvil.Node.Runtime;

/// <summary>
/// Where containers' volatile files live (the OCI bundle: config.json, pid files, conmon's exit, persist and socket
/// dirs): <c>/run/anvil</c>, on tmpfs, as CRI-O keeps them under /run. Making and removing them on a disk file system
/// cost each pod a dozen inodes, journal writes and ext4's inode allocation. A host whose /run is no tmpfs gets one
/// mounted on the directory, once (under a lock, so two agents never stack mounts and hide each other's files) and only
/// while the directory is empty. Files there outlive an agent's restart, not a reboot (as the containers themselves).
/// </summary>
internal static class RunDir
{
    public const string Default = "/run/anvil";
    private const long TmpfsMagic = 0x01021994;
    private const ulong MS_NOSUID = 2, MS_NODEV = 4;

    [DllImport("libc", EntryPoint = "statfs", SetLastError = true)]
    private static extern int StatFs(string path, byte[] buf);

    /// <summary>Creates <paramref name="path"/>, on a tmpfs when that can be had; returns it.</summary>
    public static string Ensure(string path)
    {
        Directory.CreateDirectory(path);
        if (IsTmpfs(path)) return path;
        // flock through FileShare.None: another process setting up the same dir holds it for a moment.
        var lockPath = path.TrimEnd('/') + ".lock";
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                if (!IsTmpfs(path) && !Directory.EnumerateFileSystemEntries(path).Any())
                    Mounts.Mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700"); // failing that, the plain dir serves
                return path;
            }
            catch (IOException)
            {
                Thread.Sleep(10);
            }
        }
        return path;
    }

    private static bool IsTmpfs(string path)
    {
        // struct statfs starts with f_type (a long on 64-bit Linux).
        var buf = new byte[256];
        return StatFs(path, buf) == 0 && BitConverter.ToInt64(buf, 0) == TmpfsMagic;
    }
}
