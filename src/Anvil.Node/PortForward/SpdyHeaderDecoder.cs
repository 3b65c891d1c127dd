using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Anvil.Node.PortForward;

/// <summary>
/// Inflates the header blocks a SPDY peer sends: one zlib stream over the connection, primed with
/// <see cref="SpdyDictionary"/>, each block ending in a sync flush. .NET's inflater takes no preset dictionary,
/// so the dictionary goes in first as a stored deflate block (a dictionary is only history for back-references)
/// and its output is skipped.
/// </summary>
internal sealed class SpdyHeaderDecoder : IDisposable
{
    /// <summary>Header blocks larger than this (decompressed, per name or value) are refused.</summary>
    private const int MaxField = 64 * 1024;

    private readonly FeedStream _feed = new();
    private DeflateStream? _inflater;

    /// <summary>Decodes one header block into lower-case names and values (several values joined by NUL stay joined).</summary>
    public Dictionary<string, string> Decode(ReadOnlySpan<byte> block)
    {
        if (_inflater == null)
        {
            // zlib header: CMF, FLG (bit 5 = a dictionary id of 4 bytes follows); the rest is raw deflate.
            if (block.Length < 2 || (block[0] & 0x0f) != 8) throw new InvalidDataException("header block is not a zlib stream");
            var skip = (block[1] & 0x20) != 0 ? 6 : 2;
            var dict = SpdyDictionary.Bytes;
            var stored = new byte[5 + dict.Length];
            stored[0] = 0; // BFINAL=0, BTYPE=00 (stored), padding to the byte boundary
            BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(1), (ushort)dict.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(3), (ushort)~dict.Length);
            dict.CopyTo(stored, 5);
            _feed.Push(stored);
            _feed.Push(block[skip..].ToArray());
            _inflater = new DeflateStream(_feed, CompressionMode.Decompress, leaveOpen: true);
            var discard = new byte[dict.Length];
            _inflater.ReadExactly(discard);
        }
        else
        {
            _feed.Push(block.ToArray());
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var count = ReadInt();
        for (var i = 0; i < count; i++)
        {
            var name = ReadString();
            var value = ReadString();
            headers[name.ToLowerInvariant()] = value;
        }
        return headers;
    }

    private int ReadInt()
    {
        Span<byte> b = stackalloc byte[4];
        try { _inflater!.ReadExactly(b); }
        catch (EndOfStreamException) { throw new InvalidDataException("header block is truncated"); }
        var n = BinaryPrimitives.ReadInt32BigEndian(b);
        if (n < 0 || n > MaxField) throw new InvalidDataException("header block field is too large");
        return n;
    }

    private string ReadString()
    {
        var bytes = new byte[ReadInt()];
        try { _inflater!.ReadExactly(bytes); }
        catch (EndOfStreamException) { throw new InvalidDataException("header block is truncated"); }
        return Encoding.UTF8.GetString(bytes);
    }

    public void Dispose() => _inflater?.Dispose();

    /// <summary>The compressed bytes received so far; reads past them see the end (only a malformed block gets there).</summary>
    private sealed class FeedStream : Stream
    {
        private readonly Queue<byte[]> _chunks = new();
        private int _offset;

        public void Push(byte[] chunk)
        {
            if (chunk.Length > 0) _chunks.Enqueue(chunk);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (!_chunks.TryPeek(out var chunk)) return 0;
            var n = Math.Min(buffer.Length, chunk.Length - _offset);
            chunk.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            if (_offset == chunk.Length)
            {
                _chunks.Dequeue();
                _offset = 0;
            }
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
