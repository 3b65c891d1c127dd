using System.Text.Json.Nodes;
using Anvil.Machinery.Schema;

namespace Anvil.Machinery.CustomResources;

/// <summary>
/// apiextensions' structural pruning: drops object fields the schema does not specify, except under
/// <c>x-kubernetes-preserve-unknown-fields</c>, and except apiVersion, kind and metadata of the root and of
/// embedded resources. Records each dropped field's path (<c>spec.foo</c>, <c>spec.list[0].bar</c>); the
/// unknown fields of embedded resources' metadata are dropped and recorded too, as the metadata coercion does.
/// </summary>
internal sealed class StructuralPruning(SchemaNode? objectMeta)
{
    private static readonly HashSet<string> MetaFields = new(StringComparer.Ordinal) { "apiVersion", "kind", "metadata" };

    private readonly List<string> _pruned = [];
    private readonly List<string> _metadataUnknown = [];

    /// <summary>Prunes <paramref name="obj"/> in place; returns the pruned paths sorted, then embedded metadata's unknown fields.</summary>
    public IReadOnlyList<string> PruneRoot(JsonObject obj, StructuralSchema schema)
    {
        Prune(obj, schema, "", embedded: true);
        _pruned.Sort(StringComparer.Ordinal);
        return [.. _pruned, .. _metadataUnknown];
    }

    private static string Key(string path, string key) => path.Length == 0 ? key : path + "." + key;

    private void Prune(JsonNode? x, StructuralSchema? s, string path, bool embedded = false)
    {
        embedded |= s?.EmbeddedResource ?? false;
        if (s != null && s.PreserveUnknownFields)
        {
            SkipPrune(x, s, path, embedded);
            return;
        }
        switch (x)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (s == null)
                    {
                        _pruned.Add(Key(path, key));
                        obj.Remove(key);
                        continue;
                    }
                    if (embedded && MetaFields.Contains(key))
                    {
                        if (key == "metadata" && path.Length > 0) PruneEmbeddedMetadata(obj[key], Key(path, key));
                        continue;
                    }
                    if (s.Property(key) is { } prop) Prune(obj[key], prop, Key(path, key));
                    else if (s.HasAdditionalProperties) Prune(obj[key], s.AdditionalProperties, Key(path, key));
                    else
                    {
                        if (!MetaFields.Contains(key) || path.Length > 0) _pruned.Add(Key(path, key));
                        obj.Remove(key);
                    }
                }
                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++) Prune(arr[i], s?.Items, path + "[" + i + "]");
                break;
        }
    }

    /// <summary>Below preserve-unknown-fields: unknown keys stay, known ones are pruned by their schema.</summary>
    private void SkipPrune(JsonNode? x, StructuralSchema? s, string path, bool embedded)
    {
        if (s == null) return;
        switch (x)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (embedded && MetaFields.Contains(key))
                    {
                        if (key == "metadata" && path.Length > 0) PruneEmbeddedMetadata(obj[key], Key(path, key));
                        continue;
                    }
                    if (s.Property(key) is { } prop) Prune(obj[key], prop, Key(path, key));
                    else if (s.HasAdditionalProperties) Prune(obj[key], s.AdditionalProperties, Key(path, key));
                }
                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++) SkipPrune(arr[i], s.Items, path + "[" + i + "]", s.Items?.EmbeddedResource ?? false);
                break;
        }
    }

    /// <summary>An embedded resource's metadata is decoded as ObjectMeta: fields it does not have are dropped.</summary>
    private void PruneEmbeddedMetadata(JsonNode? metadata, string path)
    {
        if (metadata is not JsonObject meta || objectMeta == null || objectMeta.Properties.Count == 0) return;
        foreach (var key in meta.Select(p => p.Key).ToList())
        {
            if (objectMeta.Properties.ContainsKey(key)) continue;
            _metadataUnknown.Add(path + "." + key);
            meta.Remove(key);
        }
    }
}
