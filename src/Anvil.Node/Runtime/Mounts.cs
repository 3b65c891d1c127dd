using System.Runtime.InteropServices;

namespace Anvil.Node.Runtime;

/// <summary>mount(2) and umount2(2) without a process per call (pod startup makes several mounts).</summary>
internal static class Mounts
{
    private const int MNT_DETACH = 2;

    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    private static extern int MountNative(string source, string target, string? fstype, ulong flags, string? data);

    [DllImport("libc", EntryPoint = "umount2", SetLastError = true)]
    private static extern int Umount2(string target, int flags);

    /// <summary>Mounts; null on success, else the error text.</summary>
    public static string? Mount(string source, string target, string? fstype, ulong flags, string? data) =>
        MountNative(source, target, fstype, flags, data) == 0 ? null : Marshal.GetLastPInvokeErrorMessage();

    /// <summary>Lazily detaches a mount (as <c>umount -l</c>); false when nothing was mounted there.</summary>
    public static bool Unmount(string target) => Umount2(target, MNT_DETACH) == 0;
}
