using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Anvil.Machinery.Serialization;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Audit;

/// <summary>
/// kube-apiserver's "batch" audit mode: requests only queue their events in a bounded buffer; one background
/// task serializes and writes them in batches and flushes after each batch. When the buffer is full, events
/// are dropped and counted (and logged) rather than slowing requests. Disposing writes out what is queued.
/// </summary>
public sealed class AuditBackend : IAsyncDisposable
{
    /// <summary>Upstream's default batch buffer size.</summary>
    public const int DefaultBufferSize = 10_000;

    private readonly Channel<JsonObject> _queue;
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
        _queue = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(bufferSize)
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

    public void Enqueue(JsonObject auditEvent)
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
        // One buffer and JSON writer for all events: a line is serialized in place, not copied per event.
        var buffer = new ArrayBufferWriter<byte>(4096);
        await using var json = new Utf8JsonWriter(buffer, KubeJson.WriterOptions);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var count = 0;
            while (count < 500 && reader.TryRead(out var e))
            {
                try
                {
                    buffer.ResetWrittenCount();
                    json.Reset(buffer);
                    e.WriteTo(json, KubeJson.Options);
                    json.Flush();
                    buffer.GetSpan(1)[0] = (byte)'\n';
                    buffer.Advance(1);
                    _writer.Write(buffer.WrittenSpan);
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
