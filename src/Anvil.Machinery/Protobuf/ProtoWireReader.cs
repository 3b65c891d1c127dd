using Anvil.Machinery.Errors;

namespace Anvil.Machinery.Protobuf;

/// <summary>
/// Reads the protobuf wire format from a span. Every length is checked against what is left of the buffer,
/// so a hostile length prefix fails fast instead of allocating or looping; errors are 400 BadRequest.
/// </summary>
internal ref struct ProtoWireReader(ReadOnlySpan<byte> data)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _data = data;
    private int _pos;

    public readonly bool End => _pos >= _data.Length;

    /// <summary>Reads a field key; returns the field number and the wire type.</summary>
    public (int Number, int WireType) ReadTag(string message)
    {
        var key = ReadVarint();
        var wireType = (int)(key & 7);
        var number = key >> 3;
        if (number == 0 || number > int.MaxValue)
            throw KubeProtobuf.Malformed($"proto: {message}: illegal tag {(long)number} (wire type {wireType})");
        return ((int)number, wireType);
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_pos >= _data.Length) throw KubeProtobuf.Malformed("unexpected EOF");
            var b = _data[_pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw KubeProtobuf.Malformed("proto: integer overflow");
    }

    public ulong ReadFixed64()
    {
        if (_data.Length - _pos < 8) throw KubeProtobuf.Malformed("unexpected EOF");
        var v = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(_pos, 8));
        _pos += 8;
        return v;
    }

    public uint ReadFixed32()
    {
        if (_data.Length - _pos < 4) throw KubeProtobuf.Malformed("unexpected EOF");
        var v = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(_data.Slice(_pos, 4));
        _pos += 4;
        return v;
    }

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var length = ReadVarint();
        if (length > int.MaxValue) throw KubeProtobuf.Malformed("proto: negative length found during unmarshaling");
        if ((ulong)(_data.Length - _pos) < length) throw KubeProtobuf.Malformed("unexpected EOF");
        var slice = _data.Slice(_pos, (int)length);
        _pos += (int)length;
        return slice;
    }

    /// <summary>Skips a field the table does not know (newer clients may send fields we do not serve).</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: ReadFixed64(); break;
            case LengthDelimited: ReadLengthDelimited(); break;
            case Fixed32: ReadFixed32(); break;
            default: throw KubeProtobuf.Malformed($"proto: illegal wireType {wireType}");
        }
    }
}
