using System.Text;

namespace Anvil.Machinery.Tests;

/// <summary>
/// Test-only protobuf writer that builds bodies the way the Go (gogo-protobuf) marshaller does: fields in
/// number order, value fields written even when empty, pointer fields only when set. Callers say which.
/// </summary>
internal sealed class ProtoTestWriter
{
    private readonly List<byte> _bytes = [];

    public static byte[] Envelope(string apiVersion, string kind, ProtoTestWriter obj) =>
        Envelope(apiVersion, kind, obj.ToArray());

    /// <summary>"k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding "", contentType ""}.</summary>
    public static byte[] Envelope(string apiVersion, string kind, byte[] raw)
    {
        var unknown = new ProtoTestWriter()
            .Message(1, m => m.String(1, apiVersion).String(2, kind))
            .Bytes(2, raw)
            .String(3, "")
            .String(4, "");
        return [0x6b, 0x38, 0x73, 0x00, .. unknown.ToArray()];
    }

    public ProtoTestWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoTestWriter Bytes(int field, byte[] value)
    {
        Tag(field, 2);
        WriteVarint((ulong)value.Length);
        _bytes.AddRange(value);
        return this;
    }

    public ProtoTestWriter Int(int field, long value)
    {
        Tag(field, 0);
        WriteVarint(unchecked((ulong)value)); // negative int32/int64 are 10-byte varints, as in Go
        return this;
    }

    public ProtoTestWriter Bool(int field, bool value) => Int(field, value ? 1 : 0);

    public ProtoTestWriter Double(int field, double value)
    {
        Tag(field, 1);
        _bytes.AddRange(BitConverter.GetBytes(value));
        return this;
    }

    public ProtoTestWriter Message(int field, ProtoTestWriter message) => Bytes(field, message.ToArray());

    public ProtoTestWriter Message(int field, Func<ProtoTestWriter, ProtoTestWriter> build) =>
        Message(field, build(new ProtoTestWriter()));

    public ProtoTestWriter Empty(int field) => Bytes(field, []);

    /// <summary>A map entry {key = 1, value = 2} with a string value.</summary>
    public ProtoTestWriter Entry(int field, string key, string value) =>
        Message(field, e => e.String(1, key).String(2, value));

    public ProtoTestWriter Entry(int field, string key, byte[] value) =>
        Message(field, e => e.String(1, key).Bytes(2, value));

    public ProtoTestWriter Entry(int field, string key, Func<ProtoTestWriter, ProtoTestWriter> value) =>
        Message(field, e => e.String(1, key).Message(2, value));

    public ProtoTestWriter RawBytes(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public ProtoTestWriter Tag(int field, int wireType)
    {
        WriteVarint(((ulong)field << 3) | (uint)wireType);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.Add((byte)value);
    }
}
