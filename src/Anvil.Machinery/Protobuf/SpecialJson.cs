namespace Anvil.Machinery.Protobuf;

/// <summary>
/// Messages whose JSON form is not the object of their protobuf fields (the table's specialJsonTypes):
/// Go types with their own MarshalJSON, and Go slice types wrapped in a message.
/// </summary>
internal enum SpecialJson
{
    None,
    Time,
    MicroTime,
    Duration,
    Quantity,
    IntOrString,
    /// <summary>runtime.RawExtension: the embedded object (JSON text, or a nested protobuf envelope).</summary>
    RawExtension,
    /// <summary>Field 1 holds JSON text emitted verbatim (meta.v1.FieldsV1, apiextensions JSON).</summary>
    RawJson,
    GroupVersion,
    /// <summary>A Go []T wrapped as <c>repeated items = 1</c> (Verbs, ExtraValue): a JSON array.</summary>
    Slice,
    SchemaOrArray,
    SchemaOrBool,
    SchemaOrStringArray,
}
