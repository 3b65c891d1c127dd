using System.Globalization;

namespace Anvil.ApiServer.Audit;

/// <summary>
/// An audit log file rotated as kube-apiserver's lumberjack does: before a write would take the file past
/// its size limit, it is renamed to <c>&lt;name&gt;-&lt;UTC time 2006-01-02T15-04-05.000&gt;&lt;ext&gt;</c>
/// (e.g. <c>audit-2026-11-21T06-30-00.000.log</c>) and a new one is started; then backups beyond
/// <c>maxBackups</c> (newest kept) or older than <c>maxAgeDays</c> are deleted (0 = no limit).
/// Files are created 0600.
/// </summary>
public sealed class AuditLogFile : IAuditLogWriter
{
    private const string TimeFormat = "yyyy-MM-dd'T'HH-mm-ss.fff";
    private readonly string _path;
    private readonly long _maxBytes;
    private readonly int _maxBackups;
    private readonly int _maxAgeDays;
    private readonly TimeProvider _time;
    private FileStream? _file;

    // The file's size, kept here: asking the stream costs an fstat per event (only this writer appends).
    private long _length;

    /// <param name="maxSizeBytes">Rotate before the file would grow past this (0 = never; <c>--audit-log-maxsize</c> × 1 MiB).</param>
    public AuditLogFile(string path, long maxSizeBytes, int maxBackups, int maxAgeDays, TimeProvider? time = null)
    {
        _path = Path.GetFullPath(path);
        _maxBytes = maxSizeBytes;
        _maxBackups = maxBackups;
        _maxAgeDays = maxAgeDays;
        _time = time ?? TimeProvider.System;
    }

    public string FilePath => _path;

    public void Write(ReadOnlySpan<byte> line)
    {
        var file = _file ??= Open();
        if (_maxBytes > 0 && _length > 0 && _length + line.Length > _maxBytes)
        {
            Rotate();
            file = _file!;
        }
        file.Write(line);
        _length += line.Length;
    }

    public void Flush() => _file?.Flush();

    public void Dispose()
    {
        _file?.Flush();
        _file?.Dispose();
        _file = null;
    }

    private FileStream Open()
    {
        var dir = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var fs = new FileStream(_path, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            // A batch of events goes out in one write at its flush rather than one per few events.
            BufferSize = 64 * 1024,
        });
        File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _length = fs.Length;
        return fs;
    }

    private void Rotate()
    {
        _file!.Flush();
        _file.Dispose();
        _file = null;
        var backup = BackupName(_time.GetUtcNow());
        // Two rotations in the same millisecond would collide; the later one waits its turn in the name.
        for (var i = 1; File.Exists(backup) && i < 1000; i++) backup = BackupName(_time.GetUtcNow().AddMilliseconds(i));
        File.Move(_path, backup);
        _file = Open();
        RemoveOldBackups();
    }

    private string BackupName(DateTimeOffset t)
    {
        var dir = Path.GetDirectoryName(_path) ?? "";
        var ext = Path.GetExtension(_path);
        var name = Path.GetFileNameWithoutExtension(_path);
        return Path.Combine(dir, $"{name}-{t.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)}{ext}");
    }

    /// <summary>The rotated files of this log with their times, newest first.</summary>
    public IReadOnlyList<(string Path, DateTime Time)> Backups()
    {
        var dir = Path.GetDirectoryName(_path) ?? ".";
        var ext = Path.GetExtension(_path);
        var prefix = Path.GetFileNameWithoutExtension(_path) + "-";
        var result = new List<(string, DateTime)>();
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            var name = Path.GetFileName(f);
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(ext, StringComparison.Ordinal)) continue;
            var stamp = name[prefix.Length..^ext.Length];
            if (DateTime.TryParseExact(stamp, TimeFormat, CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
                result.Add((f, t));
        }
        return result.OrderByDescending(b => b.Item2).ToList();
    }

    private void RemoveOldBackups()
    {
        var backups = Backups();
        var cutoff = _time.GetUtcNow().UtcDateTime.AddDays(-_maxAgeDays);
        for (var i = 0; i < backups.Count; i++)
        {
            var (path, t) = backups[i];
            if ((_maxBackups > 0 && i >= _maxBackups) || (_maxAgeDays > 0 && t < cutoff))
            {
                try
                {
                    File.Delete(path);
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
