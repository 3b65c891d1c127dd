using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Schema;

namespace Anvil.Machinery.FieldValidation;

/// <summary>
/// What decoding a JSON object into kube-apiserver's Go types does, applied to a built-in kind's JSON:
/// values of the wrong JSON type are refused with encoding/json's message
/// (<c>json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string</c>),
/// and fields the type does not have are dropped, as the Go struct would drop them.
/// </summary>
public static class GoDecodeCheck
{
    /// <summary>The first type error in <paramref name="obj"/> for <paramref name="schema"/>, or null.</summary>
    public static string? FindTypeError(JsonObject obj, SchemaNode schema)
    {
        string? error = null;
        Walk(obj, schema, StructName(schema), "", ref error);
        return error;
    }

    /// <summary>Removes fields <paramref name="schema"/> does not declare (recursively); returns how many were dropped.</summary>
    public static int DropUnknownFields(JsonObject obj, SchemaNode schema) => Prune(obj, schema, root: true);

    private static int Prune(JsonNode? node, SchemaNode schema, bool root = false)
    {
        var dropped = 0;
        switch (node)
        {
            case JsonObject o when schema.Kind == SchemaKind.Object:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    var child = schema.Property(key);
                    if (child == null)
                    {
                        if (schema.PreserveUnknownFields || root && key is "apiVersion" or "kind") continue;
                        o.Remove(key);
                        dropped++;
                    }
                    else
                    {
                        dropped += Prune(o[key], child);
                    }
                }
                break;
            case JsonObject o when schema.Kind == SchemaKind.Map && schema.AdditionalProperties != null:
                foreach (var (_, value) in o) dropped += Prune(value, schema.AdditionalProperties);
                break;
            case JsonArray a when schema.Items != null:
                foreach (var item in a) dropped += Prune(item, schema.Items);
                break;
        }
        return dropped;
    }

    private static void Walk(JsonNode? node, SchemaNode schema, string structName, string path, ref string? error)
    {
        if (error != null || node == null) return; // null decodes to the zero value
        var kind = node.GetValueKind();
        switch (schema.Kind)
        {
            case SchemaKind.Object:
                if (kind != JsonValueKind.Object) { error = Fail(kind, node, structName, path, schema); return; }
                var inner = StructName(schema);
                foreach (var (key, value) in (JsonObject)node)
                {
                    var child = schema.Property(key);
                    if (child != null) Walk(value, child, inner.Length > 0 ? inner : structName, Join(path, key), ref error);
                    if (error != null) return;
                }
                return;
            case SchemaKind.Map:
                if (kind != JsonValueKind.Object) { error = Fail(kind, node, structName, path, schema); return; }
                if (schema.AdditionalProperties is { } values)
                    foreach (var (_, value) in (JsonObject)node)
                    {
                        Walk(value, values, structName, path, ref error);
                        if (error != null) return;
                    }
                return;
            case SchemaKind.Array:
                if (kind != JsonValueKind.Array) { error = Fail(kind, node, structName, path, schema); return; }
                if (schema.Items is { } items)
                    foreach (var item in (JsonArray)node)
                    {
                        Walk(item, items, structName, path, ref error);
                        if (error != null) return;
                    }
                return;
            case SchemaKind.String:
                if (kind != JsonValueKind.String) { error = Fail(kind, node, structName, path, schema); return; }
                if (schema.Format == "byte" && !IsBase64(node.GetValue<string>()))
                    error = "illegal base64 data at input byte " + Base64ErrorOffset(node.GetValue<string>());
                return;
            case SchemaKind.Integer:
                if (kind != JsonValueKind.Number) { error = Fail(kind, node, structName, path, schema); return; }
                // Go parses integers with strconv: "1.0" or "1e3" do not fit an int field.
                if (!long.TryParse(node.ToJsonString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _))
                    error = Fail(kind, node, structName, path, schema, number: true);
                return;
            case SchemaKind.Number:
                if (kind != JsonValueKind.Number) error = Fail(kind, node, structName, path, schema);
                return;
            case SchemaKind.Boolean:
                if (kind is not (JsonValueKind.True or JsonValueKind.False)) error = Fail(kind, node, structName, path, schema);
                return;
            case SchemaKind.IntOrString:
                if (kind is not (JsonValueKind.String or JsonValueKind.Number))
                    error = $"json: cannot unmarshal {JsonName(kind)} into Go value of type intstr.IntOrString";
                return;
            default:
                return;
        }
    }

    private static string Fail(JsonValueKind kind, JsonNode node, string structName, string path, SchemaNode schema, bool number = false)
    {
        var value = number ? "number " + node.ToJsonString() : JsonName(kind);
        return $"json: cannot unmarshal {value} into Go struct field {structName}.{path} of type {GoType(schema)}";
    }

    private static string JsonName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        _ => "bool",
    };

    private static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    /// <summary>The Go struct name a definition stands for: io.k8s.api.core.v1.PodSpec → PodSpec.</summary>
    private static string StructName(SchemaNode schema) =>
        schema.DefinitionName is { } d ? d[(d.LastIndexOf('.') + 1)..] : "";

    /// <summary>The Go type as encoding/json prints it: string, int32, map[string]string, []v1.Container, v1.PodSpec.</summary>
    private static string GoType(SchemaNode schema) => schema.Kind switch
    {
        SchemaKind.String => "string",
        SchemaKind.Integer => schema.Format is "int32" or "int64" ? schema.Format : "int",
        SchemaKind.Number => "float64",
        SchemaKind.Boolean => "bool",
        SchemaKind.Map => "map[string]" + (schema.AdditionalProperties is { } v ? GoType(v) : "interface {}"),
        SchemaKind.Array => "[]" + (schema.Items is { } i ? GoType(i) : "interface {}"),
        SchemaKind.Object when schema.DefinitionName is { } d => Package(d) + "." + StructName(schema),
        _ => "interface {}",
    };

    private static string Package(string definition)
    {
        var parts = definition.Split('.');
        return parts.Length >= 2 ? parts[^2] : "";
    }

    private static bool IsBase64(string s) => Base64ErrorOffset(s) < 0;

    private static int Base64ErrorOffset(string s)
    {
        var buffer = new byte[s.Length];
        if (Convert.TryFromBase64String(s, buffer, out _)) return -1;
        for (var i = 0; i < s.Length; i++)
            if (!(char.IsAsciiLetterOrDigit(s[i]) || s[i] is '+' or '/' or '=')) return i;
        return s.Length;
    }
}
