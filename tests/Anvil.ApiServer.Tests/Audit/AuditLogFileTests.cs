using System.Text;
using Anvil.ApiServer.Audit;
using Anvil.ApiServer.Tests.Encryption;

namespace Anvil.ApiServer.Tests.Audit;

public sealed class AuditLogFileTests
{
    private static readonly byte[] Line = Encoding.ASCII.GetBytes(new string('x', 99) + "\n");

    [Fact]
    public void RotatesBeforeExceedingTheSize_WithLumberjackNames_AndKeepsMaxBackups()
    {
        using var dir = new TempDir();
        var time = new FixedTime(new DateTimeOffset(2026, 11, 21, 6, 30, 0, TimeSpan.Zero));
        var path = dir.File("audit.log");
        using (var log = new AuditLogFile(path, maxSizeBytes: 250, maxBackups: 2, maxAgeDays: 30, time))
        {
            for (var i = 0; i < 9; i++)
            {
                log.Write(Line); // 100 bytes: two fit in 250, the third rotates
                time.Now = time.Now.AddSeconds(1);
            }
            log.Flush();
        }
        // 9 lines → files of 2,2,2,2,1 lines; the oldest two backups are gone.
        var names = Directory.GetFiles(dir.Path).Select(f => Path.GetFileName(f)!).Order().ToArray();
        Assert.Equal(["audit-2026-11-21T06-30-06.000.log", "audit-2026-11-21T06-30-08.000.log", "audit.log"], names);
        Assert.Equal(100, new FileInfo(path).Length);
        Assert.All(Directory.GetFiles(dir.Path), f => Assert.Equal(200 - (f == path ? 100 : 0), new FileInfo(f).Length));
        Assert.All(Directory.GetFiles(dir.Path), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
    }

    [Fact]
    public void RemovesBackupsOlderThanMaxAge()
    {
        using var dir = new TempDir();
        var path = dir.File("audit.log");
        File.WriteAllText(dir.File("audit-2026-10-01T00-00-00.000.log"), "old\n");
        File.WriteAllText(dir.File("audit-2026-11-20T00-00-00.000.log"), "recent\n");
        File.WriteAllText(dir.File("unrelated.log"), "keep\n");
        var time = new FixedTime(new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero));
        using (var log = new AuditLogFile(path, maxSizeBytes: 150, maxBackups: 0, maxAgeDays: 30, time))
        {
            log.Write(Line);
            log.Write(Line);
        }
        var names = Directory.GetFiles(dir.Path).Select(f => Path.GetFileName(f)!).Order().ToArray();
        Assert.Equal(["audit-2026-11-20T00-00-00.000.log", "audit-2026-11-21T00-00-00.000.log", "audit.log", "unrelated.log"], names);
    }

    [Fact]
    public async Task Backend_WritesEveryQueuedEventOnDispose_AndCountsDrops()
    {
        var sink = new BlockingWriter();
        var backend = new AuditBackend(sink, bufferSize: 2);
        backend.Enqueue("{\"n\":0}"u8.ToArray());
        await sink.Entered.Task; // the writer holds event 0; the buffer (2) is empty again
        for (var i = 1; i <= 4; i++) backend.Enqueue(System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"));
        Assert.Equal(2, backend.Dropped);
        sink.Gate.Release();
        await backend.DisposeAsync();
        Assert.Equal("{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n", sink.Text.ToString());
    }

    private sealed class BlockingWriter : IAuditLogWriter
    {
        public SemaphoreSlim Gate { get; } = new(0, 1);
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public StringBuilder Text { get; } = new();

        public void Write(ReadOnlySpan<byte> line)
        {
            if (Text.Length == 0)
            {
                Entered.TrySetResult();
                Gate.Wait();
            }
            Text.Append(Encoding.UTF8.GetString(line));
        }

        public void Flush() { }

        public void Dispose() { }
    }
}
