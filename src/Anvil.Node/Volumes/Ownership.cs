namespace Anvil.Node.Volumes;

/// <summary>
/// <c>securityContext.fsGroup</c> on a volume (volume.SetVolumeOwnership): every entry becomes group-owned by the
/// fsGroup; files get group read (and write unless read-only), directories also group execute and the setgid bit, so
/// files created later inherit the group.
/// </summary>
public static class Ownership
{
    public const int ReadOnlyMask = 0x120;  // 0440
    public const int ReadWriteMask = 0x1B0; // 0660
    private const int ExecMask = 0x48;      // 0110
    private const int SetGid = 0x400;       // 02000

    public static void Apply(string root, long fsGroup, bool readOnly)
    {
        Visit(new DirectoryInfo(root), fsGroup, readOnly);
    }

    private static void Visit(FileSystemInfo entry, long fsGroup, bool readOnly)
    {
        Posix.SetGroup(entry.FullName, fsGroup);
        if (entry.LinkTarget != null) return;
        var mode = (int)entry.UnixFileMode | (readOnly ? ReadOnlyMask : ReadWriteMask);
        if (entry is DirectoryInfo dir)
        {
            File.SetUnixFileMode(entry.FullName, (UnixFileMode)(mode | ExecMask | SetGid));
            foreach (var child in dir.EnumerateFileSystemInfos()) Visit(child, fsGroup, readOnly);
        }
        else
        {
            File.SetUnixFileMode(entry.FullName, (UnixFileMode)mode);
        }
    }
}
