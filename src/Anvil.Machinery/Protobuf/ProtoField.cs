namespace Anvil.Machinery.Protobuf;

/// <summary>One field of a message from the wire-schema table, with its JSON mapping resolved.</summary>
internal sealed class ProtoField
{
    public required int Number { get; init; }
    /// <summary>The protobuf field name as written in generated.proto.</summary>
    public required string Name { get; init; }
    /// <summary>The Go struct field name, used in wire-type error messages as gogo-protobuf does.</summary>
    public required string GoName { get; init; }
    /// <summary>The JSON key; unused when <see cref="Inline"/>.</summary>
    public required string JsonName { get; init; }
    /// <summary>The Go field is <c>json:",inline"</c>: its message's fields go into the parent object.</summary>
    public required bool Inline { get; init; }
    public required bool Repeated { get; init; }
    public required bool IsMap { get; init; }
    /// <summary>The field's type, or the map's value type for a map.</summary>
    public required ProtoValueType Type { get; init; }
    /// <summary>The message type of the field (or of the map's values); null for scalars.</summary>
    public ProtoMessage? Message { get; set; }
    /// <summary>The field's fully-qualified message type name, resolved to <see cref="Message"/> after loading.</summary>
    public string? MessageName { get; init; }
    /// <summary>
    /// A zero scalar ("", 0, false) is emitted to JSON: the Go field is a pointer (present on the wire only when
    /// set) or has no omitempty (Go always emits it). Otherwise a zero scalar is the Go marshaller writing an
    /// unset value field, and is dropped as encoding/json's omitempty would.
    /// </summary>
    public bool KeepZero { get; set; }
}
