using System.Text.Json.Nodes;
using Anvil.Machinery.Schema;

namespace Anvil.Machinery.Apply;

internal enum AtomKind { Scalar, Map, List }

internal enum ListRelation { Atomic, Set, Map }

/// <summary>
/// How structured-merge-diff sees one schema position (k8s.io/kube-openapi schemaconv rules):
/// lists are map-lists (x-kubernetes-list-type map, or patch strategy merge with a merge key), sets or atomic;
/// maps and structs are granular unless x-kubernetes-map-type is atomic; unknown schema is SMD's "deduced" type
/// (objects granular with deduced values, lists atomic, everything else a scalar).
/// </summary>
internal readonly record struct SchemaAtom(
    AtomKind Kind,
    bool Atomic,
    IReadOnlyDictionary<string, SchemaNode>? Fields,
    SchemaNode? Element,
    ListRelation Relation,
    IReadOnlyList<string> Keys)
{
    private static readonly SchemaAtom ScalarAtom = new(AtomKind.Scalar, false, null, null, ListRelation.Atomic, []);

    public bool IsLeaf => Kind == AtomKind.Scalar || Atomic;

    /// <summary>True when <paramref name="name"/> is a declared struct field (not a free map key).</summary>
    public bool HasField(string name) => Fields != null && Fields.ContainsKey(name);

    public SchemaNode? FieldType(string name) =>
        Fields != null && Fields.TryGetValue(name, out var f) ? f : Element;

    public static bool IsDeduced(SchemaNode? s) => s == null || s.Kind == SchemaKind.Any;

    /// <summary>The atom for a value; for deduced schema the value's own shape decides. <paramref name="sample"/> is any present, non-null side.</summary>
    public static SchemaAtom Resolve(SchemaNode? s, JsonNode? sample)
    {
        if (IsDeduced(s))
        {
            return sample switch
            {
                JsonObject => new SchemaAtom(AtomKind.Map, false, null, null, ListRelation.Atomic, []),
                JsonArray => new SchemaAtom(AtomKind.List, true, null, null, ListRelation.Atomic, []),
                _ => ScalarAtom,
            };
        }
        var atom = FromSchema(s!);
        // A value of another shape than the schema says is compared and merged as a whole.
        if (sample != null && (atom.Kind == AtomKind.Map && sample is not JsonObject || atom.Kind == AtomKind.List && sample is not JsonArray))
            return ScalarAtom;
        return atom;
    }

    public static SchemaAtom FromSchema(SchemaNode s)
    {
        switch (s.Kind)
        {
            case SchemaKind.Object:
                // Undeclared fields of a struct are treated as deduced values (SMD would reject them unless preserved).
                return new SchemaAtom(AtomKind.Map, s.MapType == "atomic", s.Properties, null, ListRelation.Atomic, []);
            case SchemaKind.Map:
                return new SchemaAtom(AtomKind.Map, s.MapType == "atomic", null, s.AdditionalProperties, ListRelation.Atomic, []);
            case SchemaKind.Array:
            {
                var (relation, keys) = ListRelationOf(s);
                return new SchemaAtom(AtomKind.List, relation == ListRelation.Atomic, null, s.Items, relation, keys);
            }
            case SchemaKind.Any:
                return new SchemaAtom(AtomKind.Map, false, null, null, ListRelation.Atomic, []);
            default:
                return ScalarAtom;
        }
    }

    private static (ListRelation, IReadOnlyList<string>) ListRelationOf(SchemaNode s)
    {
        switch (s.ListType)
        {
            case "map": return (ListRelation.Map, s.ListMapKeys);
            case "set": return (ListRelation.Set, []);
            case "atomic": return (ListRelation.Atomic, []);
        }
        if (s.HasPatchStrategy("merge") && !string.IsNullOrEmpty(s.PatchMergeKey))
            return (ListRelation.Map, [s.PatchMergeKey]);
        return (ListRelation.Atomic, []);
    }
}
