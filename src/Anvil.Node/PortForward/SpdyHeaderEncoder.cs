using System.Buffers.Binary;
using System.Text;

namespace Anvil.Node.PortForward;

/// <summary>
/// Writes SPDY header blocks as one zlib stream of stored (uncompressed) deflate blocks, each followed by an
/// empty stored block as a sync flush. Without the dictionary flag set, peers read it without the dictionary.
/// </summary>
internal sealed class SpdyHeaderEncoder
{
    private bool _started;

    public byte[] Encode(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        using var raw = new MemoryStream();
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(n, headers.Count);
        raw.Write(n);
        foreach (var (name, value) in headers)
        {
            foreach (var s in new[] { name.ToLowerInvariant(), value })
            {
                var bytes = Encoding.UTF8.GetBytes(s);
                BinaryPrimitives.WriteInt32BigEndian(n, bytes.Length);
                raw.Write(n);
                raw.Write(bytes);
            }
        }
        var data = raw.ToArray();
        if (data.Length > ushort.MaxValue) throw new InvalidOperationException("header block too large");
        using var block = new MemoryStream();
        if (!_started)
        {
            block.Write([0x78, 0x01]); // zlib: deflate, 32K window, no dictionary, check bits
            _started = true;
        }
        Span<byte> stored = stackalloc byte[5];
        stored[0] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(stored[1..], (ushort)data.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(stored[3..], (ushort)~data.Length);
        block.Write(stored);
        block.Write(data);
        block.Write([0x00, 0x00, 0x00, 0xff, 0xff]);
        return block.ToArray();
    }
}
