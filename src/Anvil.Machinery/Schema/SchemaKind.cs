namespace Anvil.Machinery.Schema;

/// <summary>The JSON shape a schema position accepts.</summary>
public enum SchemaKind
{
    /// <summary>No constraint known (x-kubernetes-preserve-unknown-fields without properties, or unresolved).</summary>
    Any,
    Object,
    /// <summary>An object whose keys are free (additionalProperties): labels, data, ...</summary>
    Map,
    Array,
    String,
    Integer,
    Number,
    Boolean,
    /// <summary>x-kubernetes-int-or-string / format int-or-string.</summary>
    IntOrString,
}
