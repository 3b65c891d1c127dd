using System.Globalization;

namespace Anvil.Node.Volumes;

/// <summary>
/// Writes the files of an API-data volume the way the kubelet's AtomicWriter does, so readers never see a mix of old
/// and new content: the payload goes into a fresh timestamped directory <c>..2024_01_02_15_04_05.123</c>, the symlink
/// <c>..data</c> is swapped to it by rename, and each top-level name of the payload is a symlink into <c>..data</c>.
/// The previous timestamped directory and names no longer in the payload are removed afterwards.
/// </summary>
public static class AtomicWriter
{
    public const string DataDirName = "..data";
    private const string DataDirTmpName = "..data_tmp";

    /// <summary>
    /// Makes <paramref name="dir"/> hold exactly <paramref name="payload"/> (relative path → file). Returns false when
    /// it already did (nothing written). <paramref name="fsGroup"/>: the files become group-owned by it (read-only).
    /// </summary>
    public static bool Write(string dir, IReadOnlyDictionary<string, FileProjection> payload, long? fsGroup = null)
    {
        foreach (var path in payload.Keys) ValidatePath(path);
        Directory.CreateDirectory(dir);
        var dataLink = Path.Combine(dir, DataDirName);
        var oldTs = new FileInfo(dataLink).LinkTarget;
        if (oldTs != null && Unchanged(Path.Combine(dir, oldTs), payload)) return false;

        var tsName = ".." + DateTime.UtcNow.ToString("yyyy_MM_dd_HH_mm_ss", CultureInfo.InvariantCulture) + "." + Random.Shared.Next(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture);
        var tsDir = Path.Combine(dir, tsName);
        Directory.CreateDirectory(tsDir);
        File.SetUnixFileMode(tsDir, (UnixFileMode)Convert.ToInt32("755", 8));
        foreach (var (rel, file) in payload)
        {
            var target = Path.Combine(tsDir, rel);
            var parent = Path.GetDirectoryName(target)!;
            if (!Directory.Exists(parent))
            {
                Directory.CreateDirectory(parent);
                for (var d = parent; d.Length > tsDir.Length; d = Path.GetDirectoryName(d)!)
                    File.SetUnixFileMode(d, (UnixFileMode)Convert.ToInt32("755", 8));
            }
            File.WriteAllBytes(target, file.Data);
            File.SetUnixFileMode(target, (UnixFileMode)(file.Mode & 0xFFF));
        }
        if (fsGroup is { } gid) Ownership.Apply(tsDir, gid, readOnly: true);

        var tmpLink = Path.Combine(dir, DataDirTmpName);
        if (new FileInfo(tmpLink).LinkTarget != null) File.Delete(tmpLink);
        File.CreateSymbolicLink(tmpLink, tsName);
        if (fsGroup is { } g1) Posix.SetGroup(tmpLink, g1);
        Posix.Rename(tmpLink, dataLink);

        // User-visible names: one symlink per top-level element of the payload.
        var visible = payload.Keys.Select(p => p.Split('/')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var name in visible)
        {
            var link = Path.Combine(dir, name);
            if (new FileInfo(link).LinkTarget != null) continue;
            File.CreateSymbolicLink(link, Path.Combine(DataDirName, name));
            if (fsGroup is { } g2) Posix.SetGroup(link, g2);
        }
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            if (entry.Name.StartsWith("..", StringComparison.Ordinal) || visible.Contains(entry.Name)) continue;
            if (entry.LinkTarget != null) entry.Delete();
        }
        if (oldTs != null && oldTs != tsName && oldTs.StartsWith("..", StringComparison.Ordinal) && Directory.Exists(Path.Combine(dir, oldTs)))
            Directory.Delete(Path.Combine(dir, oldTs), true);
        return true;
    }

    /// <summary>The kubelet's validatePath: relative, no <c>..</c> element, no element starting with <c>..</c>.</summary>
    public static void ValidatePath(string path)
    {
        if (path.Length == 0) throw new ArgumentException("invalid path: must not be empty");
        if (path.Length > 4096) throw new ArgumentException($"invalid path: must be less than or equal to 4096 characters");
        if (path.StartsWith('/')) throw new ArgumentException($"invalid path: must be relative path: {path}");
        foreach (var part in path.Split('/'))
        {
            if (part == "..") throw new ArgumentException($"invalid path: must not contain '..': {path}");
            if (part.StartsWith("..", StringComparison.Ordinal)) throw new ArgumentException($"invalid path: must not start with '..': {path}");
        }
    }

    private static bool Unchanged(string tsDir, IReadOnlyDictionary<string, FileProjection> payload)
    {
        if (!Directory.Exists(tsDir)) return false;
        var onDisk = Directory.EnumerateFiles(tsDir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(tsDir, f)).ToHashSet(StringComparer.Ordinal);
        if (!onDisk.SetEquals(payload.Keys)) return false;
        foreach (var (rel, file) in payload)
        {
            var path = Path.Combine(tsDir, rel);
            if (((int)File.GetUnixFileMode(path) & 0x1FF) != (file.Mode & 0x1FF) && !GroupWidened(path, file.Mode)) return false;
            if (!File.ReadAllBytes(path).AsSpan().SequenceEqual(file.Data)) return false;
        }
        return true;
    }

    /// <summary>Ownership.Apply may have added group read; that does not make the payload different.</summary>
    private static bool GroupWidened(string path, int mode) => ((int)File.GetUnixFileMode(path) & 0x1FF) == ((mode | Ownership.ReadOnlyMask) & 0x1FF);
}
