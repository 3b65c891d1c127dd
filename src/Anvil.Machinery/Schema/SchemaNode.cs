namespace Anvil.Machinery.Schema;

/// <summary>
/// One position in an API type's schema, resolved from OpenAPI (refs followed, allOf flattened).
/// Carries what the patch, apply and validation code needs: the shape and the
/// <c>x-kubernetes-*</c> list and patch extensions. Immutable after <see cref="SchemaRegistry"/> builds it.
/// </summary>
public sealed class SchemaNode
{
    public SchemaKind Kind { get; internal set; }
    /// <summary>The OpenAPI definition name this node came from, e.g. io.k8s.api.core.v1.PodSpec; null for inline nodes.</summary>
    public string? DefinitionName { get; internal set; }
    public string? Format { get; internal set; }
    public string? Description { get; internal set; }
    /// <summary>Object properties (for <see cref="SchemaKind.Object"/>).</summary>
    public IReadOnlyDictionary<string, SchemaNode> Properties { get; internal set; } = Empty;
    public IReadOnlyList<string> Required { get; internal set; } = [];
    /// <summary>Array items (for <see cref="SchemaKind.Array"/>).</summary>
    public SchemaNode? Items { get; internal set; }
    /// <summary>Map values (for <see cref="SchemaKind.Map"/>).</summary>
    public SchemaNode? AdditionalProperties { get; internal set; }
    /// <summary>x-kubernetes-patch-strategy: "merge", "retainKeys", "merge,retainKeys" or "replace".</summary>
    public string? PatchStrategy { get; internal set; }
    /// <summary>x-kubernetes-patch-merge-key.</summary>
    public string? PatchMergeKey { get; internal set; }
    /// <summary>x-kubernetes-list-type: atomic, set or map.</summary>
    public string? ListType { get; internal set; }
    public IReadOnlyList<string> ListMapKeys { get; internal set; } = [];
    /// <summary>x-kubernetes-map-type: granular or atomic.</summary>
    public string? MapType { get; internal set; }
    /// <summary>x-kubernetes-preserve-unknown-fields: fields not in <see cref="Properties"/> are allowed.</summary>
    public bool PreserveUnknownFields { get; internal set; }
    /// <summary>x-kubernetes-embedded-resource.</summary>
    public bool EmbeddedResource { get; internal set; }
    public IReadOnlyList<string> Enum { get; internal set; } = [];
    /// <summary>The OpenAPI <c>default</c>, if any (server-side apply uses it for missing list-map keys, e.g. ports' protocol).</summary>
    public System.Text.Json.Nodes.JsonNode? Default { get; internal set; }

    public bool HasPatchStrategy(string strategy) =>
        PatchStrategy != null && PatchStrategy.Split(',').Contains(strategy);

    /// <summary>The schema of a property, or null when unknown.</summary>
    public SchemaNode? Property(string name) => Properties.TryGetValue(name, out var p) ? p : null;

    internal static readonly IReadOnlyDictionary<string, SchemaNode> Empty = new Dictionary<string, SchemaNode>();

    /// <summary>A node that accepts anything; used where no schema is known.</summary>
    public static readonly SchemaNode AnyValue = new() { Kind = SchemaKind.Any, PreserveUnknownFields = true };
}
