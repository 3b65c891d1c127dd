using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;

namespace Anvil.Machinery.Schema;

/// <summary>
/// The schemas of the served kinds, built once from OpenAPI v3 documents (the shared k8s-api copies for
/// built-in groups, generated documents for CRDs). Lookup by GVK; thread-safe for readers.
/// </summary>
public sealed class SchemaRegistry
{
    private readonly Dictionary<string, SchemaNode> _definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<GroupVersionKind, SchemaNode> _byGvk = new();
    private readonly object _gate = new();

    /// <summary>The schema of a top-level kind, or null when the kind is not known.</summary>
    public SchemaNode? ForKind(GroupVersionKind gvk)
    {
        lock (_gate) return _byGvk.TryGetValue(gvk, out var n) ? n : null;
    }

    /// <summary>A definition by its OpenAPI name, e.g. io.k8s.api.core.v1.PodSpec.</summary>
    public SchemaNode? Definition(string name)
    {
        lock (_gate) return _definitions.TryGetValue(name, out var n) ? n : null;
    }

    /// <summary>Loads every <c>components.schemas</c> entry of an OpenAPI v3 document.</summary>
    public void AddOpenApiV3(JsonObject document)
    {
        var schemas = document["components"]?["schemas"] as JsonObject;
        if (schemas == null) return;
        lock (_gate)
        {
            var builder = new Builder(schemas, _definitions);
            foreach (var (name, raw) in schemas)
            {
                if (raw is not JsonObject def) continue;
                var node = builder.Definition(name);
                if (def["x-kubernetes-group-version-kind"] is JsonArray gvks)
                {
                    foreach (var g in gvks.OfType<JsonObject>())
                    {
                        var gvk = new GroupVersionKind((string?)g["group"] ?? "", (string?)g["version"] ?? "", (string?)g["kind"] ?? "");
                        _byGvk[gvk] = node;
                    }
                }
            }
        }
    }

    /// <summary>Registers a schema for a kind directly (CRD versions); replaces any earlier one.</summary>
    public void SetKind(GroupVersionKind gvk, SchemaNode node)
    {
        lock (_gate) _byGvk[gvk] = node;
    }

    public void RemoveKind(GroupVersionKind gvk)
    {
        lock (_gate) _byGvk.Remove(gvk);
    }

    /// <summary>Builds a node from a standalone schema (a CRD's openAPIV3Schema); refs are not allowed there.</summary>
    public static SchemaNode FromStandalone(JsonObject schema) =>
        new Builder(new JsonObject(), new Dictionary<string, SchemaNode>()).Inline(schema);

    /// <summary>Resolves $ref and allOf into <see cref="SchemaNode"/>s, sharing one node per definition so recursive types terminate.</summary>
    private sealed class Builder(JsonObject schemas, Dictionary<string, SchemaNode> cache)
    {
        public SchemaNode Definition(string name)
        {
            if (cache.TryGetValue(name, out var existing)) return existing;
            var node = new SchemaNode { DefinitionName = name };
            cache[name] = node; // placed before filling so cycles (JSONSchemaProps) resolve to the same instance
            if (schemas[name] is JsonObject def) Fill(node, def);
            else node.Kind = SchemaKind.Any;
            return node;
        }

        public SchemaNode Inline(JsonObject schema)
        {
            // A property that is only a $ref (or allOf of one $ref) shares the definition node,
            // unless it adds patch/list extensions of its own, which live on the referring property.
            var refName = SingleRef(schema);
            if (refName != null && !HasOwnExtensions(schema)) return Definition(refName);
            var node = new SchemaNode();
            if (refName != null)
            {
                var target = Definition(refName);
                CopyShape(node, target);
            }
            Fill(node, schema);
            return node;
        }

        private static string? SingleRef(JsonObject schema)
        {
            if (schema["$ref"] is JsonValue r) return Strip((string)r!);
            if (schema["allOf"] is JsonArray { Count: 1 } all && all[0]?["$ref"] is JsonValue r2) return Strip((string)r2!);
            return null;
        }

        private static string Strip(string reference) => reference.StartsWith("#/components/schemas/", StringComparison.Ordinal)
            ? reference["#/components/schemas/".Length..]
            : reference.StartsWith("#/definitions/", StringComparison.Ordinal) ? reference["#/definitions/".Length..] : reference;

        private static bool HasOwnExtensions(JsonObject schema) =>
            schema.ContainsKey("x-kubernetes-patch-strategy") || schema.ContainsKey("x-kubernetes-patch-merge-key")
            || schema.ContainsKey("x-kubernetes-list-type") || schema.ContainsKey("x-kubernetes-map-type")
            || schema.ContainsKey("x-kubernetes-list-map-keys");

        private static void CopyShape(SchemaNode node, SchemaNode target)
        {
            node.Kind = target.Kind;
            node.DefinitionName = target.DefinitionName;
            node.Format = target.Format;
            node.Description = target.Description;
            node.Properties = target.Properties;
            node.Required = target.Required;
            node.Items = target.Items;
            node.AdditionalProperties = target.AdditionalProperties;
            node.PreserveUnknownFields = target.PreserveUnknownFields;
            node.EmbeddedResource = target.EmbeddedResource;
            node.Enum = target.Enum;
            node.PatchStrategy = target.PatchStrategy;
            node.PatchMergeKey = target.PatchMergeKey;
            node.ListType = target.ListType;
            node.ListMapKeys = target.ListMapKeys;
            node.MapType = target.MapType;
        }

        private void Fill(SchemaNode node, JsonObject s)
        {
            var type = (string?)s["type"];
            var format = (string?)s["format"];
            if (format != null) node.Format = format;
            if (s["description"] is JsonValue d) node.Description = (string?)d;
            if (s["x-kubernetes-preserve-unknown-fields"] is JsonValue p && p.TryGetValue<bool>(out var preserve)) node.PreserveUnknownFields = preserve;
            if (s["x-kubernetes-embedded-resource"] is JsonValue e && e.TryGetValue<bool>(out var embedded)) node.EmbeddedResource = embedded;
            if (s["x-kubernetes-patch-strategy"] is JsonValue ps) node.PatchStrategy = (string?)ps;
            if (s["x-kubernetes-patch-merge-key"] is JsonValue mk) node.PatchMergeKey = (string?)mk;
            if (s["x-kubernetes-list-type"] is JsonValue lt) node.ListType = (string?)lt;
            if (s["x-kubernetes-map-type"] is JsonValue mt) node.MapType = (string?)mt;
            if (s["x-kubernetes-list-map-keys"] is JsonArray keys) node.ListMapKeys = keys.Select(k => (string)k!).ToList();
            if (s["required"] is JsonArray req) node.Required = req.Select(k => (string)k!).ToList();
            if (s["default"] is JsonNode def) node.Default = def.DeepClone();
            if (s["enum"] is JsonArray en) node.Enum = en.Select(v => v?.ToString() ?? "").ToList();

            if (format == "int-or-string" || s["x-kubernetes-int-or-string"] is JsonValue { } ios && ios.TryGetValue<bool>(out var isIos) && isIos)
            {
                node.Kind = SchemaKind.IntOrString;
                return;
            }

            var refName = SingleRef(s);
            if (refName != null && type == null)
            {
                var target = Definition(refName);
                var keepStrategy = node.PatchStrategy; var keepKey = node.PatchMergeKey; var keepList = node.ListType;
                var keepKeys = node.ListMapKeys; var keepMap = node.MapType;
                CopyShape(node, target);
                node.PatchStrategy = keepStrategy ?? target.PatchStrategy;
                node.PatchMergeKey = keepKey ?? target.PatchMergeKey;
                node.ListType = keepList ?? target.ListType;
                node.ListMapKeys = keepKeys.Count > 0 ? keepKeys : target.ListMapKeys;
                node.MapType = keepMap ?? target.MapType;
                return;
            }

            switch (type)
            {
                case "object":
                    if (s["properties"] is JsonObject props)
                    {
                        node.Kind = SchemaKind.Object;
                        var map = new Dictionary<string, SchemaNode>(StringComparer.Ordinal);
                        foreach (var (name, raw) in props)
                            if (raw is JsonObject prop) map[name] = Inline(prop);
                        node.Properties = map;
                    }
                    else if (s["additionalProperties"] is JsonObject ap)
                    {
                        node.Kind = SchemaKind.Map;
                        node.AdditionalProperties = Inline(ap);
                    }
                    else if (s["additionalProperties"] is JsonValue apb && apb.TryGetValue<bool>(out var allowAny) && allowAny)
                    {
                        node.Kind = SchemaKind.Map;
                        node.AdditionalProperties = SchemaNode.AnyValue;
                    }
                    else
                    {
                        node.Kind = node.PreserveUnknownFields ? SchemaKind.Any : SchemaKind.Object;
                        if (!node.PreserveUnknownFields && s["properties"] == null && s["additionalProperties"] == null)
                        {
                            // "type: object" without properties in built-in specs (e.g. RawExtension) accepts anything.
                            node.Kind = SchemaKind.Any;
                            node.PreserveUnknownFields = true;
                        }
                    }
                    break;
                case "array":
                    node.Kind = SchemaKind.Array;
                    node.Items = s["items"] is JsonObject items ? Inline(items) : SchemaNode.AnyValue;
                    break;
                case "string": node.Kind = SchemaKind.String; break;
                case "integer": node.Kind = SchemaKind.Integer; break;
                case "number": node.Kind = SchemaKind.Number; break;
                case "boolean": node.Kind = SchemaKind.Boolean; break;
                default:
                    if (s["properties"] is JsonObject) goto case "object";
                    node.Kind = SchemaKind.Any;
                    node.PreserveUnknownFields = true;
                    break;
            }
        }
    }
}
