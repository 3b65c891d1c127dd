using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Apply;

public enum PathElementKind
{
    /// <summary>A struct field or map key: <c>f:name</c>.</summary>
    Field,
    /// <summary>A list-map item selected by its key fields: <c>k:{"name":"a"}</c>.</summary>
    Key,
    /// <summary>A set item selected by its value: <c>v:"a"</c>.</summary>
    Value,
    /// <summary>A list item by position: <c>i:0</c> (only in sets read from elsewhere; atomic lists are leaves).</summary>
    Index,
}

/// <summary>
/// One step of a field path, as in sigs.k8s.io/structured-merge-diff's fieldpath.PathElement.
/// Ordered fields &lt; keys &lt; values &lt; indexes, as SMD orders them (this order is the FieldsV1 key order).
/// </summary>
public sealed class PathElement : IComparable<PathElement>, IEquatable<PathElement>
{
    public PathElementKind Kind { get; }
    public string? FieldName { get; }
    /// <summary>Key fields sorted by name (for <see cref="PathElementKind.Key"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, JsonNode?>>? Key { get; }
    public JsonNode? Value { get; }
    public int Index { get; }

    private PathElement(PathElementKind kind, string? name, IReadOnlyList<KeyValuePair<string, JsonNode?>>? key, JsonNode? value, int index)
    {
        Kind = kind; FieldName = name; Key = key; Value = value; Index = index;
    }

    public static PathElement Field(string name) => new(PathElementKind.Field, name, null, null, 0);

    public static PathElement ForKey(IEnumerable<KeyValuePair<string, JsonNode?>> fields) =>
        new(PathElementKind.Key, null,
            fields.Select(f => new KeyValuePair<string, JsonNode?>(f.Key, f.Value?.DeepClone()))
                .OrderBy(f => f.Key, StringComparer.Ordinal).ToList(), null, 0);

    public static PathElement ForValue(JsonNode? value) => new(PathElementKind.Value, null, null, value?.DeepClone(), 0);

    public static PathElement ForIndex(int index) => new(PathElementKind.Index, null, null, null, index);

    public int CompareTo(PathElement? other)
    {
        if (other is null) return 1;
        if (Kind != other.Kind) return Kind < other.Kind ? -1 : 1;
        switch (Kind)
        {
            case PathElementKind.Field:
                return Math.Sign(string.CompareOrdinal(FieldName, other.FieldName));
            case PathElementKind.Key:
                for (var i = 0; ; i++)
                {
                    if (i >= Key!.Count && i >= other.Key!.Count) return 0;
                    if (i >= Key.Count) return -1;
                    if (i >= other.Key!.Count) return 1;
                    var c = Math.Sign(string.CompareOrdinal(Key[i].Key, other.Key[i].Key));
                    if (c != 0) return c;
                    c = JsonValues.Compare(Key[i].Value, other.Key[i].Value);
                    if (c != 0) return c;
                }
            case PathElementKind.Value:
                return JsonValues.Compare(Value, other.Value);
            default:
                return Index.CompareTo(other.Index);
        }
    }

    public bool Equals(PathElement? other) => other is not null && CompareTo(other) == 0;
    public override bool Equals(object? obj) => obj is PathElement pe && Equals(pe);

    public override int GetHashCode() => Kind switch
    {
        PathElementKind.Field => StringComparer.Ordinal.GetHashCode(FieldName!),
        PathElementKind.Key => Key!.Aggregate(17, (h, k) => h * 31 + StringComparer.Ordinal.GetHashCode(k.Key) + JsonValues.HashCode(k.Value)),
        PathElementKind.Value => JsonValues.HashCode(Value) * 7,
        _ => Index * 13,
    };

    /// <summary>The form SMD prints in conflicts and errors: <c>.image</c>, <c>[name="a"]</c>, <c>[="x"]</c>, <c>[0]</c>.</summary>
    public override string ToString() => Kind switch
    {
        PathElementKind.Field => "." + FieldName,
        PathElementKind.Key => "[" + string.Join(",", Key!.Select(k => k.Key + "=" + JsonValues.ToDisplayString(k.Value))) + "]",
        PathElementKind.Value => "[=" + JsonValues.ToDisplayString(Value) + "]",
        _ => "[" + Index.ToString(CultureInfo.InvariantCulture) + "]",
    };

    /// <summary>The FieldsV1 key: <c>f:name</c>, <c>k:{"name":"a"}</c>, <c>v:"x"</c>, <c>i:0</c>.</summary>
    public string Serialize()
    {
        switch (Kind)
        {
            case PathElementKind.Field: return "f:" + FieldName;
            case PathElementKind.Key:
            {
                var sb = new StringBuilder("k:{");
                for (var i = 0; i < Key!.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    JsonValues.WriteGoString(sb, Key[i].Key);
                    sb.Append(':');
                    JsonValues.WriteGoJson(sb, Key[i].Value);
                }
                return sb.Append('}').ToString();
            }
            case PathElementKind.Value: return "v:" + JsonValues.ToGoJson(Value);
            default: return "i:" + Index.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Parses a FieldsV1 key. Returns null for an unknown element type (SMD drops those); throws <see cref="FormatException"/> when malformed.</summary>
    public static PathElement? Deserialize(string s)
    {
        if (s.Length < 2) throw new FormatException("key must be 2 characters long:");
        if (s[1] != ':') throw new FormatException($"missing colon: {s}");
        var rest = s[2..];
        switch (s[0])
        {
            case 'f': return Field(rest);
            case 'v': return ForValue(ParseJson(rest));
            case 'k':
                if (ParseJson(rest) is not JsonObject obj) throw new FormatException($"expected object in key: {s}");
                return ForKey(obj.Select(p => new KeyValuePair<string, JsonNode?>(p.Key, p.Value)));
            case 'i':
                if (!int.TryParse(rest, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i))
                    throw new FormatException($"invalid index: {s}");
                return ForIndex(i);
            default: return null;
        }
    }

    private static JsonNode? ParseJson(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new FormatException(e.Message, e);
        }
    }
}
