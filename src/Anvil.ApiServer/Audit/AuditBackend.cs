using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Audit;

/// <summary>
/// kube-apiserver's "batch" audit mode: requests only queue their events (each one serialized JSON line) in a bounded
/// buffer; one background task writes them in batches and flushes after each batch. When the buffer is full, events
/// are dropped and counted (and logged) rather than slowing requests. Disposing writes out what is queued.
/// </summary>
public sealed class AuditBackend : IAsyncDisposable
{
    /// <summary>Upstream's default batch buffer size.</summary>
    public const int DefaultBufferSize = 10_000;

    private readonly Channel<byte[]> _queue;
    private readonly IAuditLogWriter _writer;
    private readonly ILogger? _log;
    private readonly Task _run;
    private long _dropped;
    private long _written;
    private long _enqueued;

    public AuditBackend(IAuditLogWriter writer, ILogger? log = null, int bufferSize = DefaultBufferSize)
    {
        _writer = writer;
        _log = log;
        _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(bufferSize)
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: fails instead of waiting, so we can count
            SingleReader = true,
        });
        _run = Task.Run(RunAsync);
    }

    /// <summary>Events dropped because the buffer was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events taken from the buffer and written (or failed to write) so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Queues one event: its JSON, without the line's newline.</summary>
    public void Enqueue(byte[] auditEvent)
    {
        if (_queue.Writer.TryWrite(auditEvent))
        {
            Interlocked.Increment(ref _enqueued);
            return;
        }
        var n = Interlocked.Increment(ref _dropped);
        // One line for the first drop and then every 1000th, so a flood does not flood the log too.
        if (n == 1 || n % 1000 == 0) _log?.LogError("audit buffer full: dropped {Count} audit events so far", n);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        // Event and newline go to the writer as one line, so a rotation never falls between them.
        var line = new ArrayBufferWriter<byte>(4096);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var count = 0;
            while (count < 500 && reader.TryRead(out var e))
            {
                try
                {
                    line.ResetWrittenCount();
                    line.Write(e);
                    line.Write("\n"u8);
                    _writer.Write(line.WrittenSpan);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    _log?.LogError(ex, "writing an audit event failed");
                }
                count++;
            }
            try
            {
                _writer.Flush();
            }
            catch (IOException ex)
            {
                _log?.LogError(ex, "flushing the audit log failed");
            }
            Interlocked.Add(ref _written, count);
        }
    }

    /// <summary>Waits until every event queued before the call is written and flushed (tests).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        var target = Interlocked.Read(ref _enqueued);
        while (Written < target && !_run.IsCompleted) await Task.Delay(5, ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _run.ConfigureAwait(false);
        _writer.Dispose();
    }
}
