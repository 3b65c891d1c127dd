using System.Threading.Channels;

namespace Anvil.Node.PortForward;

/// <summary>
/// One stream of a <see cref="SpdyConnection"/> opened by the peer: its headers, the data it sends (read until
/// its FIN or a reset), and data frames back (<see cref="CloseAsync"/> half-closes with a FIN).
/// </summary>
internal sealed class SpdyStream
{
    /// <summary>The largest data frame written (the peer takes any size up to 16 MiB).</summary>
    private const int MaxFrame = 32 * 1024;

    private readonly SpdyConnection _connection;
    private readonly Channel<byte[]> _incoming = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private byte[]? _current;
    private int _offset;
    private int _closed;

    public SpdyStream(SpdyConnection connection, int id, IReadOnlyDictionary<string, string> headers)
    {
        _connection = connection;
        Id = id;
        Headers = headers;
    }

    public int Id { get; }
    public IReadOnlyDictionary<string, string> Headers { get; }

    public string Header(string name) => Headers.TryGetValue(name, out var v) ? v : "";

    internal void Deliver(byte[] data)
    {
        if (data.Length > 0) _incoming.Writer.TryWrite(data);
    }

    /// <summary>The peer finished sending (FIN), reset the stream, or the connection ended.</summary>
    internal void RemoteFinish() => _incoming.Writer.TryComplete();

    /// <summary>Reads what the peer sent; 0 once it has finished.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        while (_current == null || _offset == _current.Length)
        {
            if (!await _incoming.Reader.WaitToReadAsync(ct).ConfigureAwait(false)) return 0;
            if (_incoming.Reader.TryRead(out var next))
            {
                _current = next;
                _offset = 0;
            }
        }
        var n = Math.Min(buffer.Length, _current.Length - _offset);
        _current.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        for (var i = 0; i < data.Length; i += MaxFrame)
            await _connection.SendDataAsync(Id, data.Slice(i, Math.Min(MaxFrame, data.Length - i)), fin: false, ct).ConfigureAwait(false);
    }

    /// <summary>Half-closes: a data frame with FIN (once).</summary>
    public Task CloseAsync(CancellationToken ct) =>
        Interlocked.Exchange(ref _closed, 1) == 0 ? _connection.SendDataAsync(Id, ReadOnlyMemory<byte>.Empty, fin: true, ct) : Task.CompletedTask;
}
