namespace Anvil.Machinery.Apply;

/// <summary>What changed between two objects, field by field (SMD's typed.Comparison).</summary>
internal sealed class Comparison
{
    public FieldSet Added { get; set; } = new();
    public FieldSet Modified { get; set; } = new();
    public FieldSet Removed { get; set; } = new();

    public Comparison ExcludeFields(FieldSet? fields)
    {
        if (fields == null || fields.IsEmpty) return this;
        Added = Added.RecursiveDifference(fields);
        Modified = Modified.RecursiveDifference(fields);
        Removed = Removed.RecursiveDifference(fields);
        return this;
    }
}
