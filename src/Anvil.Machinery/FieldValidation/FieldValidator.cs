using System.Globalization;
using System.Text;
using System.Text.Json;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;
using Anvil.Machinery.Serialization;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.FieldValidation;

/// <summary>
/// Request-body field validation (<c>fieldValidation=Strict|Warn|Ignore</c>) as kube-apiserver does it:
/// reports unknown fields (<c>unknown field "spec.foo"</c>) and fields repeated in one object
/// (<c>duplicate field "metadata.name"</c>) with sigs.k8s.io/json's paths (<c>spec.containers[0].foo</c>,
/// map keys joined with dots). Built-in kinds report in document order, deduplicated, at most 100, like
/// the strict JSON decoder; custom resources report duplicates first and then the unknown fields sorted,
/// like the CRD handler's pruning.
/// </summary>
public static class FieldValidator
{
    private const int MaxErrors = 100;

    /// <summary>The problems in <paramref name="json"/> for a kind with <paramref name="schema"/>.</summary>
    /// <param name="objectMeta">ObjectMeta's schema, used for <c>metadata</c> of custom resources and embedded resources
    /// (built-in kinds carry it in their own schema). Null skips those checks.</param>
    /// <param name="customResource">Report as the CRD handler does (duplicates everywhere, unknown fields sorted).</param>
    public static IReadOnlyList<string> Check(ReadOnlySpan<byte> json, SchemaNode schema, SchemaNode? objectMeta = null, bool customResource = false)
    {
        var walker = new Walker(objectMeta, customResource);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (reader.Read()) walker.Value(ref reader, schema, "", root: true);
        }
        catch (JsonException)
        {
            // Syntax errors are reported by whoever decodes the body; keep what was found.
        }
        return walker.Result();
    }

    /// <summary>
    /// A YAML body: the YAML duplicate-key error (if any) first, then the problems of the JSON it converts to,
    /// as the YAML serializer orders them.
    /// </summary>
    public static IReadOnlyList<string> CheckYaml(string yaml, SchemaNode schema, SchemaNode? objectMeta = null, bool customResource = false)
    {
        var json = Yaml.ToJson(yaml, out var yamlError);
        var problems = new List<string>();
        if (yamlError != null) problems.Add(yamlError);
        if (json != null) problems.AddRange(Check(Encoding.UTF8.GetBytes(json.ToJsonString()), schema, objectMeta, customResource));
        return problems;
    }

    /// <summary>runtime.NewStrictDecodingError's text: <c>strict decoding error: a, b</c>.</summary>
    public static string StrictDecodingError(IReadOnlyList<string> problems) =>
        "strict decoding error: " + string.Join(", ", problems);

    /// <summary>
    /// The 400 of a Strict create or update:
    /// <c>Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"</c>.
    /// </summary>
    public static StatusError StrictError(GroupVersionKind bodyKind, string targetKind, IReadOnlyList<string> problems) =>
        StatusError.BadRequest($"{bodyKind.Kind} in version \"{bodyKind.Version}\" cannot be handled as a {targetKind}: {StrictDecodingError(problems)}");

    /// <summary>
    /// The 422 of a Strict patch (strategic, merge or JSON patch): <c> "" is invalid: patch: Invalid value:
    /// "&lt;patched object or patch&gt;": strict decoding error: ...</c>, as the patch handler builds it.
    /// </summary>
    public static StatusError StrictPatchError(string patchedValue, IReadOnlyList<string> problems) =>
        StatusError.Invalid(new GroupVersionKind("", "", ""), "", [FieldError.Invalid("patch", patchedValue, StrictDecodingError(problems))]);

    /// <summary>The warning texts for Warn: one per problem line (multi-line YAML errors give one warning per line).</summary>
    public static IReadOnlyList<string> Warnings(IReadOnlyList<string> problems) =>
        [.. problems.SelectMany(p => p.Split('\n'))];

    /// <summary>Parses the query parameter; empty means the server default Warn; an unknown value gives null.</summary>
    public static FieldValidationDirective? ParseDirective(string? value) => value switch
    {
        null or "" => FieldValidationDirective.Warn,
        "Ignore" => FieldValidationDirective.Ignore,
        "Warn" => FieldValidationDirective.Warn,
        "Strict" => FieldValidationDirective.Strict,
        _ => null,
    };

    /// <summary>Go's strconv.Quote, used for the paths in messages.</summary>
    internal static string GoQuote(string s) => Validation.GoQuote.Quote(s);

    /// <summary>One pass over the body with the schema position in hand.</summary>
    private sealed class Walker(SchemaNode? objectMeta, bool customResource)
    {
        private readonly List<string> _inOrder = [];
        private readonly List<string> _unknown = [];
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public IReadOnlyList<string> Result()
        {
            if (!customResource) return _inOrder;
            var sorted = _unknown.OrderBy(p => p, StringComparer.Ordinal).Select(p => "unknown field " + GoQuote(p));
            return [.. _inOrder, .. sorted];
        }

        private void Duplicate(string path)
        {
            var message = "duplicate field " + GoQuote(path);
            if (_inOrder.Count < MaxErrors && _seen.Add(message)) _inOrder.Add(message);
        }

        private void Unknown(string path)
        {
            if (customResource)
            {
                if (!_unknown.Contains(path)) _unknown.Add(path);
                return;
            }
            var message = "unknown field " + GoQuote(path);
            if (_inOrder.Count < MaxErrors && _seen.Add(message)) _inOrder.Add(message);
        }

        private static string Child(string path, string key) => path.Length == 0 ? key : path + "." + key;

        /// <summary>Walks the value at the reader (positioned on its first token) against <paramref name="schema"/>.</summary>
        /// <param name="schema">Null: a value that is not in the schema (only duplicates matter, and only for custom resources).</param>
        public void Value(ref Utf8JsonReader reader, SchemaNode? schema, string path, bool root = false, bool embedded = false)
        {
            if (schema is null)
            {
                // Go skips an unknown field's value; the CRD decoder reads it into a map and sees its duplicates.
                if (customResource) Any(ref reader, path);
                else reader.Skip();
                return;
            }
            switch (schema.Kind)
            {
                case SchemaKind.Any:
                    // Built-in Any positions are types with their own decoders (RawExtension, FieldsV1, JSON):
                    // nothing inside is checked. Custom resources decode everything into maps.
                    if (schema.DefinitionName != null && !customResource) reader.Skip();
                    else if (schema.EmbeddedResource && reader.TokenType == JsonTokenType.StartObject) Object(ref reader, schema, path, root, embedded: true);
                    else Any(ref reader, path);
                    return;
                case SchemaKind.Object when reader.TokenType == JsonTokenType.StartObject:
                    Object(ref reader, schema, path, root, embedded || schema.EmbeddedResource);
                    return;
                case SchemaKind.Map when reader.TokenType == JsonTokenType.StartObject:
                    var keys = new HashSet<string>(StringComparer.Ordinal);
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var key = reader.GetString()!;
                        var child = Child(path, key);
                        if (!keys.Add(key)) Duplicate(child);
                        reader.Read();
                        Value(ref reader, schema.AdditionalProperties ?? SchemaNode.AnyValue, child);
                    }
                    return;
                case SchemaKind.Array when reader.TokenType == JsonTokenType.StartArray:
                    var index = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        Value(ref reader, schema.Items ?? SchemaNode.AnyValue, path + "[" + (index++).ToString(CultureInfo.InvariantCulture) + "]");
                    return;
                default:
                    // Scalars, or a type mismatch (a decoding error, not a strict one).
                    reader.Skip();
                    return;
            }
        }

        private void Object(ref Utf8JsonReader reader, SchemaNode schema, string path, bool root, bool embedded)
        {
            var keys = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.GetString()!;
                var child = Child(path, key);
                reader.Read();
                var property = schema.Property(key);
                var typeMeta = (root || embedded) && key is "apiVersion" or "kind";
                if ((root || embedded) && key == "metadata" && objectMeta != null && (property is null || property.Kind != SchemaKind.Object || property.Properties.Count < 3))
                    property = objectMeta; // CRD schemas describe metadata loosely; it is always ObjectMeta
                if (property != null || typeMeta)
                {
                    // Go checks duplicates only for known struct fields; maps (custom resources) check all keys.
                    if (!keys.Add(key)) Duplicate(child);
                    if (property != null) Value(ref reader, property, child);
                    else reader.Skip();
                }
                else if (schema.PreserveUnknownFields || schema.Kind == SchemaKind.Any)
                {
                    if (!keys.Add(key)) Duplicate(child);
                    Any(ref reader, child);
                }
                else
                {
                    if (customResource && !keys.Add(key)) Duplicate(child);
                    Unknown(child);
                    Value(ref reader, null, child);
                }
            }
        }

        /// <summary>A value decoded into interface{}: objects report duplicate keys, nothing is unknown.</summary>
        private void Any(ref Utf8JsonReader reader, string path)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    var keys = new HashSet<string>(StringComparer.Ordinal);
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var key = reader.GetString()!;
                        var child = Child(path, key);
                        if (!keys.Add(key)) Duplicate(child);
                        reader.Read();
                        Any(ref reader, child);
                    }
                    return;
                case JsonTokenType.StartArray:
                    var index = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        Any(ref reader, path + "[" + (index++).ToString(CultureInfo.InvariantCulture) + "]");
                    return;
                default:
                    return;
            }
        }
    }
}
