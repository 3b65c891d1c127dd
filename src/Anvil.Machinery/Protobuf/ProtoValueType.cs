namespace Anvil.Machinery.Protobuf;

/// <summary>The value type of a protobuf field (or of a map's values) as the table names it.</summary>
internal enum ProtoValueType
{
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    Double,
    Message,
}
