using System.Buffers.Binary;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.PortForward;

/// <summary>
/// The server side of a SPDY/3.1 connection as Kubernetes' streaming protocols use it (moby/spdystream): the
/// client opens streams with SYN_STREAM, each is answered with SYN_REPLY; DATA frames with FIN half-close;
/// PINGs are echoed; RST_STREAM and GOAWAY end streams or the connection. Flow control is not enforced by
/// spdystream, so WINDOW_UPDATE and SETTINGS are ignored.
/// </summary>
internal sealed class SpdyConnection(Stream transport, ILogger log) : IDisposable
{
    private const int ControlSynStream = 1;
    private const int ControlSynReply = 2;
    private const int ControlRstStream = 3;
    private const int ControlPing = 6;
    private const int ControlGoAway = 7;
    private const byte FlagFin = 0x01;
    /// <summary>Frames larger than this are a protocol error here (portforward sends small data frames).</summary>
    private const int MaxPayload = 16 * 1024 * 1024;

    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly SpdyHeaderDecoder _decoder = new();
    private readonly SpdyHeaderEncoder _encoder = new();
    private readonly ConcurrentDictionary<int, SpdyStream> _streams = new();

    /// <summary>Reads frames until the peer goes (or <paramref name="ct"/>); new streams go to <paramref name="opened"/>.</summary>
    public async Task RunAsync(Action<SpdyStream> opened, CancellationToken ct)
    {
        var header = new byte[8];
        try
        {
            while (await ReadFullyAsync(header, ct).ConfigureAwait(false))
            {
                var length = (header[5] << 16) | (header[6] << 8) | header[7];
                if (length > MaxPayload) throw new InvalidDataException($"frame of {length} bytes");
                var payload = new byte[length];
                if (!await ReadFullyAsync(payload, ct).ConfigureAwait(false)) break;
                var flags = header[4];
                if ((header[0] & 0x80) == 0)
                {
                    var id = BinaryPrimitives.ReadInt32BigEndian(header) & 0x7fffffff;
                    if (_streams.TryGetValue(id, out var s))
                    {
                        s.Deliver(payload);
                        if ((flags & FlagFin) != 0) s.RemoteFinish();
                    }
                    continue;
                }
                var version = ((header[0] & 0x7f) << 8) | header[1];
                if (version != 3) throw new InvalidDataException($"SPDY version {version}");
                switch ((header[2] << 8) | header[3])
                {
                    case ControlSynStream when payload.Length >= 10:
                    {
                        var id = BinaryPrimitives.ReadInt32BigEndian(payload) & 0x7fffffff;
                        var stream = new SpdyStream(this, id, _decoder.Decode(payload.AsSpan(10)));
                        if ((flags & FlagFin) != 0) stream.RemoteFinish();
                        _streams[id] = stream;
                        await SendReplyAsync(id, ct).ConfigureAwait(false);
                        opened(stream);
                        break;
                    }
                    case ControlRstStream when payload.Length >= 8:
                        if (_streams.TryRemove(BinaryPrimitives.ReadInt32BigEndian(payload) & 0x7fffffff, out var reset)) reset.RemoteFinish();
                        break;
                    case ControlPing when payload.Length == 4:
                        await SendControlAsync(ControlPing, 0, payload, ct).ConfigureAwait(false);
                        break;
                    case ControlGoAway:
                        return;
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException)
        {
            log.LogInformation("spdy connection ended error={Error}", e.Message);
        }
        finally
        {
            foreach (var s in _streams.Values) s.RemoteFinish();
        }
    }

    private async Task<bool> ReadFullyAsync(Memory<byte> buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await transport.ReadAsync(buffer[total..], ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (total == 0) return false;
                throw new IOException("connection closed inside a frame");
            }
            total += n;
        }
        return true;
    }

    private Task SendReplyAsync(int id, CancellationToken ct)
    {
        var block = _encoder.Encode([]);
        var payload = new byte[4 + block.Length];
        BinaryPrimitives.WriteInt32BigEndian(payload, id);
        block.CopyTo(payload, 4);
        return SendControlAsync(ControlSynReply, 0, payload, ct);
    }

    private Task SendControlAsync(int type, byte flags, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var header = new byte[8];
        header[0] = 0x80;
        header[1] = 3;
        header[2] = (byte)(type >> 8);
        header[3] = (byte)type;
        SetFlagsAndLength(header, flags, payload.Length);
        return SendAsync(header, payload, ct);
    }

    internal Task SendDataAsync(int id, ReadOnlyMemory<byte> data, bool fin, CancellationToken ct)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, id & 0x7fffffff);
        SetFlagsAndLength(header, fin ? FlagFin : (byte)0, data.Length);
        return SendAsync(header, data, ct);
    }

    private static void SetFlagsAndLength(byte[] header, byte flags, int length)
    {
        header[4] = flags;
        header[5] = (byte)(length >> 16);
        header[6] = (byte)(length >> 8);
        header[7] = (byte)length;
    }

    private async Task SendAsync(byte[] header, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        await _write.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await transport.WriteAsync(header, ct).ConfigureAwait(false);
            if (payload.Length > 0) await transport.WriteAsync(payload, ct).ConfigureAwait(false);
            await transport.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>Forgets a finished stream.</summary>
    public void Remove(SpdyStream stream) => _streams.TryRemove(stream.Id, out _);

    public void Dispose()
    {
        _decoder.Dispose();
        _write.Dispose();
    }
}
