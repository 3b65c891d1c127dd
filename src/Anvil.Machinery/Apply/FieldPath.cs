namespace Anvil.Machinery.Apply;

/// <summary>A path from the object root, printed as SMD does: <c>.spec.containers[name="a"].image</c>.</summary>
public sealed class FieldPath : IEquatable<FieldPath>
{
    public IReadOnlyList<PathElement> Elements { get; }

    public FieldPath(IEnumerable<PathElement> elements) => Elements = elements.ToList();

    /// <summary>A path of field names, e.g. <c>FieldPath.Of("spec", "replicas")</c>.</summary>
    public static FieldPath Of(params string[] fields) => new(fields.Select(PathElement.Field));

    /// <summary>Parses a dotted path of field names ("metadata.labels").</summary>
    public static FieldPath ParseDotted(string dotted) => Of(dotted.Split('.', StringSplitOptions.RemoveEmptyEntries));

    public override string ToString() => string.Concat(Elements.Select(e => e.ToString()));

    public bool Equals(FieldPath? other) => other is not null && Elements.SequenceEqual(other.Elements);
    public override bool Equals(object? obj) => obj is FieldPath p && Equals(p);
    public override int GetHashCode() => Elements.Aggregate(17, (h, e) => h * 31 + e.GetHashCode());
}
