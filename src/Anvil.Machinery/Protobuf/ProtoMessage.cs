namespace Anvil.Machinery.Protobuf;

/// <summary>A protobuf message type from the wire-schema table.</summary>
internal sealed class ProtoMessage
{
    public required string FullName { get; init; }
    public required string Package { get; init; }
    public required string Name { get; init; }
    public required SpecialJson Special { get; init; }
    /// <summary>The Go type embeds TypeMeta, so it is a kind that can travel in a runtime.Unknown envelope.</summary>
    public required bool IsKind { get; init; }
    public Dictionary<int, ProtoField> Fields { get; } = new();

    public ProtoField? Field(int number) => Fields.TryGetValue(number, out var f) ? f : null;

    public override string ToString() => FullName;
}
