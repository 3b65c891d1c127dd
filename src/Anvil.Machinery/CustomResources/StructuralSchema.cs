using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Anvil.Machinery.CustomResources;

/// <summary>
/// One node of a CRD version's <c>openAPIV3Schema</c> (apiextensions JSONSchemaProps), parsed once:
/// the structural part (type, properties, items, additionalProperties, x-kubernetes-* extensions) that
/// pruning and defaulting walk, and the value validations that the schema validator checks.
/// </summary>
internal sealed class StructuralSchema
{
    private static readonly Dictionary<string, StructuralSchema> NoProperties = new(StringComparer.Ordinal);

    public string? Type { get; private init; }
    public bool Nullable { get; private init; }
    /// <summary>The format as written in the schema (for messages).</summary>
    public string? Format { get; private init; }
    /// <summary>The format the validator checks: unsupported ones are dropped as apiextensions does.</summary>
    public string? EffectiveFormat { get; private init; }
    public bool IntOrString { get; private init; }
    public bool PreserveUnknownFields { get; private init; }
    public bool EmbeddedResource { get; private init; }
    public string? ListType { get; private init; }
    public IReadOnlyList<string> ListMapKeys { get; private init; } = [];

    /// <summary>Properties in schema order.</summary>
    public IReadOnlyList<KeyValuePair<string, StructuralSchema>> PropertyList { get; private init; } = [];
    public IReadOnlyDictionary<string, StructuralSchema> Properties { get; private init; } = NoProperties;
    /// <summary><c>additionalProperties</c> is present (as a schema or a bool).</summary>
    public bool HasAdditionalProperties { get; private init; }
    /// <summary><c>additionalProperties: false</c>.</summary>
    public bool AdditionalPropertiesForbidden { get; private init; }
    /// <summary>The <c>additionalProperties</c> schema; null when absent or a bool.</summary>
    public StructuralSchema? AdditionalProperties { get; private init; }
    public StructuralSchema? Items { get; private init; }

    public JsonNode? Default { get; private init; }
    public bool HasDefault { get; private init; }
    public JsonArray? Enum { get; private init; }
    public IReadOnlyList<string> Required { get; private init; } = [];

    public double? Maximum { get; private init; }
    public bool ExclusiveMaximum { get; private init; }
    public double? Minimum { get; private init; }
    public bool ExclusiveMinimum { get; private init; }
    public double? MultipleOf { get; private init; }
    public long? MaxLength { get; private init; }
    public long? MinLength { get; private init; }
    public string? Pattern { get; private init; }
    public Regex? PatternRegex { get; private init; }
    public long? MaxItems { get; private init; }
    public long? MinItems { get; private init; }
    public bool UniqueItems { get; private init; }
    public long? MaxProperties { get; private init; }
    public long? MinProperties { get; private init; }

    public IReadOnlyList<StructuralSchema> AllOf { get; private init; } = [];
    public IReadOnlyList<StructuralSchema> AnyOf { get; private init; } = [];
    public IReadOnlyList<StructuralSchema> OneOf { get; private init; } = [];
    public StructuralSchema? Not { get; private init; }

    /// <summary>The JSON types the value may have, as kube-openapi's type validator sees them (int-or-string is both).</summary>
    public IReadOnlyList<string> Types => IntOrString ? ["integer", "string"] : Type != null ? [Type] : [];

    public StructuralSchema? Property(string name) => Properties.TryGetValue(name, out var p) ? p : null;

    /// <summary>String formats apiextensions validates (others are ignored), named as go-openapi normalizes them (no dashes).</summary>
    private static readonly HashSet<string> SupportedStringFormats = new(StringComparer.Ordinal)
    {
        "bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid", "uuid3", "uuid4", "uuid5",
        "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor", "byte", "password", "date", "duration",
        "datetime",
    };

    public static StructuralSchema Parse(JsonObject s)
    {
        var type = Str(s["type"]);
        var format = Str(s["format"]);
        var intOrString = Bool(s["x-kubernetes-int-or-string"]);

        var propertyList = new List<KeyValuePair<string, StructuralSchema>>();
        if (s["properties"] is JsonObject props)
            foreach (var (name, raw) in props)
                if (raw is JsonObject p) propertyList.Add(new(name, Parse(p)));
        var properties = propertyList.Count == 0 ? NoProperties : propertyList.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

        StructuralSchema? additional = null;
        var hasAdditional = false;
        var additionalForbidden = false;
        switch (s["additionalProperties"])
        {
            case JsonObject ap:
                hasAdditional = true;
                additional = Parse(ap);
                break;
            case JsonValue apb when apb.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                hasAdditional = true;
                additionalForbidden = apb.GetValueKind() == JsonValueKind.False;
                break;
        }

        // items may be a schema or (not structural) a list of schemas; only the single form is used.
        var items = s["items"] switch
        {
            JsonObject i => Parse(i),
            JsonArray { Count: > 0 } arr when arr[0] is JsonObject first => Parse(first),
            _ => null,
        };

        var pattern = Str(s["pattern"]);
        Regex? regex = null;
        if (pattern != null)
        {
            try { regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
            catch (ArgumentException) { regex = null; } // rejected when the CRD was created; nothing to check
        }

        return new StructuralSchema
        {
            Type = type,
            Nullable = Bool(s["nullable"]),
            Format = format,
            EffectiveFormat = EffectiveFormatFor(intOrString ? null : type, format),
            IntOrString = intOrString,
            PreserveUnknownFields = Bool(s["x-kubernetes-preserve-unknown-fields"]),
            EmbeddedResource = Bool(s["x-kubernetes-embedded-resource"]),
            ListType = Str(s["x-kubernetes-list-type"]),
            ListMapKeys = s["x-kubernetes-list-map-keys"] is JsonArray keys ? keys.Select(k => Str(k) ?? "").ToList() : [],
            PropertyList = propertyList,
            Properties = properties,
            HasAdditionalProperties = hasAdditional,
            AdditionalPropertiesForbidden = additionalForbidden,
            AdditionalProperties = additional,
            Items = items,
            HasDefault = s.ContainsKey("default"),
            Default = s["default"]?.DeepClone(),
            Enum = s["enum"] as JsonArray,
            Required = s["required"] is JsonArray req ? req.Select(r => Str(r) ?? "").ToList() : [],
            Maximum = Num(s["maximum"]),
            ExclusiveMaximum = Bool(s["exclusiveMaximum"]),
            Minimum = Num(s["minimum"]),
            ExclusiveMinimum = Bool(s["exclusiveMinimum"]),
            MultipleOf = Num(s["multipleOf"]),
            MaxLength = Long(s["maxLength"]),
            MinLength = Long(s["minLength"]),
            Pattern = pattern,
            PatternRegex = regex,
            MaxItems = Long(s["maxItems"]),
            MinItems = Long(s["minItems"]),
            UniqueItems = Bool(s["uniqueItems"]),
            MaxProperties = Long(s["maxProperties"]),
            MinProperties = Long(s["minProperties"]),
            AllOf = List(s["allOf"]),
            AnyOf = List(s["anyOf"]),
            OneOf = List(s["oneOf"]),
            Not = s["not"] is JsonObject not ? Parse(not) : null,
        };
    }

    /// <summary>StripUnsupportedFormatsPostProcess: the formats a CRD schema may use per type; others are not checked.</summary>
    private static string? EffectiveFormatFor(string? type, string? format)
    {
        if (string.IsNullOrEmpty(format)) return null;
        return type switch
        {
            null or "" or "string" => SupportedStringFormats.Contains(format.Replace("-", "", StringComparison.Ordinal)) ? format : null,
            "integer" => format is "int32" or "int64" ? format : null,
            "number" => format is "float" or "double" ? format : null,
            _ => null,
        };
    }

    private static List<StructuralSchema> List(JsonNode? node) =>
        node is JsonArray arr ? arr.OfType<JsonObject>().Select(Parse).ToList() : [];

    private static string? Str(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static bool Bool(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    private static double? Num(JsonNode? n) =>
        n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) ? d : JsonNumbers.AsDouble(n);

    private static long? Long(JsonNode? n) => Num(n) is { } d ? (long)d : null;
}
