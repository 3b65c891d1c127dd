namespace Anvil.Node.Volumes;

/// <summary>
/// hostPath <c>type</c> checks (pkg/volume/hostpath checkType), with the kubelet's messages; the *OrCreate types
/// create what is missing (directories 0755, files 0644 empty).
/// </summary>
public static class HostPathCheck
{
    /// <summary>Null when the path passes; else the error text.</summary>
    public static string? Check(string path, string type)
    {
        switch (type)
        {
            case "":
                return null;
            case "DirectoryOrCreate":
                if (!Path.Exists(path))
                {
                    Directory.CreateDirectory(path);
                    File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
                    return null;
                }
                return Directory.Exists(path) ? null : $"hostPath type check failed: {path} is not a directory";
            case "Directory":
                if (!Path.Exists(path)) return $"hostPath type check failed: {path} is not a directory";
                return Directory.Exists(path) ? null : $"hostPath type check failed: {path} is not a directory";
            case "FileOrCreate":
                if (!Path.Exists(path))
                {
                    var parent = Path.GetDirectoryName(path);
                    if (parent != null && !Directory.Exists(parent)) return $"open {path}: no such file or directory";
                    using (File.Create(path)) { }
                    File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("644", 8));
                    return null;
                }
                return Kind(path) == "file" ? null : $"hostPath type check failed: {path} is not a file";
            case "File":
                if (!Path.Exists(path)) return $"hostPath type check failed: {path} is not a file";
                return Kind(path) == "file" ? null : $"hostPath type check failed: {path} is not a file";
            case "Socket":
                return Kind(path) == "socket" ? null : $"hostPath type check failed: {path} is not a socket file";
            case "CharDevice":
                return Kind(path) == "char" ? null : $"hostPath type check failed: {path} is not a character device";
            case "BlockDevice":
                return Kind(path) == "block" ? null : $"hostPath type check failed: {path} is not a block device";
            default:
                return $"{type} is an invalid volume type";
        }
    }

    /// <summary>What is at a path, following symlinks: file, dir, socket, char, block, fifo, or "" when nothing.</summary>
    private static string Kind(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget != null && info.ResolveLinkTarget(true) is { } target) info = new FileInfo(target.FullName);
        if (!info.Exists && !Directory.Exists(path)) return FileType(info.FullName);
        if (Directory.Exists(info.FullName)) return "dir";
        return FileType(info.FullName);
    }

    /// <summary>The file type from stat(2)'s mode bits.</summary>
    private static string FileType(string path)
    {
        {
            if (Posix.StatMode(path) is not { } mode) return "";
            return (mode & 0xF000) switch
            {
                0x8000 => "file",
                0x4000 => "dir",
                0xC000 => "socket",
                0x2000 => "char",
                0x6000 => "block",
                0x1000 => "fifo",
                _ => "",
            };
        }
    }
}
