using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Protobuf;

/// <summary>
/// Turns protobuf messages into the JSON that Go's encoding/json would write for the same Go struct, so a
/// decoded body equals what kubectl would have sent as application/json: zero value scalars are dropped
/// (omitempty) unless the field is a pointer or always emitted, messages present on the wire are kept
/// (including {}), zero metav1.Time is null, and the custom JSON forms of specialJsonTypes are applied.
/// </summary>
internal sealed class ProtoJsonDecoder(ProtoSchema schema)
{
    // JSONSchemaProps nests deeply in CRDs, but nothing legitimate comes near this; it bounds recursion.
    private const int MaxDepth = 256;

    public JsonObject DecodeEnvelope(ReadOnlySpan<byte> body, int depth)
    {
        if (!KubeProtobuf.HasMagic(body))
            throw KubeProtobuf.Malformed("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        CheckDepth(depth);
        var reader = new ProtoWireReader(body[KubeProtobuf.Magic.Length..]);
        string apiVersion = "", kind = "", contentEncoding = "", contentType = "";
        var raw = ReadOnlySpan<byte>.Empty;
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag("Unknown");
            switch (number)
            {
                case 1:
                    ExpectWireType(wireType, ProtoWireReader.LengthDelimited, "TypeMeta");
                    ReadTypeMeta(reader.ReadLengthDelimited(), ref apiVersion, ref kind);
                    break;
                case 2:
                    ExpectWireType(wireType, ProtoWireReader.LengthDelimited, "Raw");
                    raw = reader.ReadLengthDelimited();
                    break;
                case 3:
                    ExpectWireType(wireType, ProtoWireReader.LengthDelimited, "ContentEncoding");
                    contentEncoding = Utf8(reader.ReadLengthDelimited());
                    break;
                case 4:
                    ExpectWireType(wireType, ProtoWireReader.LengthDelimited, "ContentType");
                    contentType = Utf8(reader.ReadLengthDelimited());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        if (kind.Length == 0) throw KubeProtobuf.Malformed("Object 'Kind' is missing in protobuf body");
        if (contentEncoding.Length != 0)
            throw KubeProtobuf.Malformed($"unsupported content encoding \"{contentEncoding}\" in protobuf body");
        if (contentType.Length != 0 && contentType != KubeProtobuf.ContentType)
            throw KubeProtobuf.Malformed($"unsupported content type \"{contentType}\" in protobuf body");
        var version = apiVersion.Contains('/') ? apiVersion[(apiVersion.IndexOf('/') + 1)..] : apiVersion;
        var message = schema.FindKind(apiVersion, kind) ?? throw KubeProtobuf.Malformed(
            $"no kind \"{kind}\" is registered for version \"{apiVersion}\" in scheme \"pkg/api/legacyscheme/scheme.go:30\"");

        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        try
        {
            FillObject(obj, raw, message, depth + 1);
        }
        catch (ProtoFormatException e)
        {
            // kube-apiserver's transformDecodeError wording, which kubectl prints after "Error from server (BadRequest): ".
            throw KubeProtobuf.Malformed(e.Message.Contains(" cannot be handled as a ", StringComparison.Ordinal)
                ? e.Message
                : $"{kind} in version \"{version}\" cannot be handled as a {kind}: {e.Message}");
        }
        return obj;
    }

    private static void ReadTypeMeta(ReadOnlySpan<byte> data, ref string apiVersion, ref string kind)
    {
        var reader = new ProtoWireReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag("TypeMeta");
            if (number is 1 or 2)
            {
                ExpectWireType(wireType, ProtoWireReader.LengthDelimited, number == 1 ? "APIVersion" : "Kind");
                var value = Utf8(reader.ReadLengthDelimited());
                if (number == 1) apiVersion = value;
                else kind = value;
            }
            else reader.Skip(wireType);
        }
    }

    /// <summary>Decodes a message's fields into <paramref name="target"/>; inline fields land in the same object.</summary>
    private void FillObject(JsonObject target, ReadOnlySpan<byte> data, ProtoMessage message, int depth)
    {
        CheckDepth(depth);
        var reader = new ProtoWireReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag(message.Name);
            var field = message.Field(number);
            if (field == null)
            {
                reader.Skip(wireType);
                continue;
            }

            if (field.IsMap)
            {
                ExpectWireType(wireType, ProtoWireReader.LengthDelimited, field.GoName);
                var (key, value) = ReadMapEntry(reader.ReadLengthDelimited(), field, depth + 1);
                ObjectAt(target, field.JsonName)[key] = value;
            }
            else if (field.Repeated)
            {
                var array = ArrayAt(target, field.JsonName);
                if (field.Type == ProtoValueType.Message)
                {
                    ExpectWireType(wireType, ProtoWireReader.LengthDelimited, field.GoName);
                    array.Add(DecodeMessage(reader.ReadLengthDelimited(), field.Message!, depth + 1));
                }
                else if (wireType == ProtoWireReader.LengthDelimited && field.Type is not (ProtoValueType.String or ProtoValueType.Bytes))
                {
                    // Packed encoding: Go writes repeated numbers unpacked, but proto2 readers accept both.
                    var packed = new ProtoWireReader(reader.ReadLengthDelimited());
                    var elementWireType = field.Type == ProtoValueType.Double ? ProtoWireReader.Fixed64 : ProtoWireReader.Varint;
                    while (!packed.End) array.Add(ReadScalar(ref packed, field, elementWireType).Value);
                }
                else
                {
                    array.Add(ReadScalar(ref reader, field, wireType).Value);
                }
            }
            else if (field.Type == ProtoValueType.Message)
            {
                ExpectWireType(wireType, ProtoWireReader.LengthDelimited, field.GoName);
                var payload = reader.ReadLengthDelimited();
                var type = field.Message!;
                if (type.Special != SpecialJson.None)
                    target[field.JsonName] = DecodeSpecial(payload, type, depth + 1);
                else if (field.Inline)
                    FillObject(target, payload, type, depth + 1);
                else
                    FillObject(ObjectAt(target, field.JsonName), payload, type, depth + 1); // repeated occurrences merge, as in proto
            }
            else
            {
                var (value, zero) = ReadScalar(ref reader, field, wireType);
                if (zero && !field.KeepZero) target.Remove(field.JsonName);
                else target[field.JsonName] = value;
            }
        }
    }

    private JsonNode? DecodeMessage(ReadOnlySpan<byte> data, ProtoMessage message, int depth)
    {
        if (message.Special != SpecialJson.None) return DecodeSpecial(data, message, depth);
        var obj = new JsonObject();
        FillObject(obj, data, message, depth);
        return obj;
    }

    private (string Key, JsonNode? Value) ReadMapEntry(ReadOnlySpan<byte> data, ProtoField field, int depth)
    {
        CheckDepth(depth);
        var key = "";
        JsonNode? value = null;
        var hasValue = false;
        var reader = new ProtoWireReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag(field.GoName + "Entry");
            if (number == 1)
            {
                ExpectWireType(wireType, ProtoWireReader.LengthDelimited, "key");
                key = Utf8(reader.ReadLengthDelimited());
            }
            else if (number == 2)
            {
                if (field.Type == ProtoValueType.Message)
                {
                    ExpectWireType(wireType, ProtoWireReader.LengthDelimited, "value");
                    value = DecodeMessage(reader.ReadLengthDelimited(), field.Message!, depth + 1);
                }
                else value = ReadScalar(ref reader, field, wireType).Value;
                hasValue = true;
            }
            else reader.Skip(wireType);
        }
        if (!hasValue)
        {
            // An absent value is the zero value; Go still emits the map entry.
            value = field.Type == ProtoValueType.Message
                ? DecodeMessage(ReadOnlySpan<byte>.Empty, field.Message!, depth + 1)
                : ZeroScalar(field.Type);
        }
        return (key, value);
    }

    private static (JsonNode? Value, bool Zero) ReadScalar(ref ProtoWireReader reader, ProtoField field, int wireType)
    {
        switch (field.Type)
        {
            case ProtoValueType.String:
            {
                ExpectWireType(wireType, ProtoWireReader.LengthDelimited, field.GoName);
                var s = Utf8(reader.ReadLengthDelimited());
                return (JsonValue.Create(s), s.Length == 0);
            }
            case ProtoValueType.Bytes:
            {
                ExpectWireType(wireType, ProtoWireReader.LengthDelimited, field.GoName);
                var bytes = reader.ReadLengthDelimited();
                return (JsonValue.Create(Convert.ToBase64String(bytes)), bytes.IsEmpty);
            }
            case ProtoValueType.Bool:
            {
                ExpectWireType(wireType, ProtoWireReader.Varint, field.GoName);
                var b = reader.ReadVarint() != 0;
                return (JsonValue.Create(b), !b);
            }
            case ProtoValueType.Int32:
            {
                ExpectWireType(wireType, ProtoWireReader.Varint, field.GoName);
                var i = unchecked((int)reader.ReadVarint()); // Go keeps the low 32 bits, as here
                return (JsonValue.Create(i), i == 0);
            }
            case ProtoValueType.Int64:
            {
                ExpectWireType(wireType, ProtoWireReader.Varint, field.GoName);
                var l = unchecked((long)reader.ReadVarint());
                return (JsonValue.Create(l), l == 0);
            }
            case ProtoValueType.Double:
            {
                ExpectWireType(wireType, ProtoWireReader.Fixed64, field.GoName);
                var d = BitConverter.UInt64BitsToDouble(reader.ReadFixed64());
                if (!double.IsFinite(d))
                    throw KubeProtobuf.Malformed($"json: unsupported value: {d.ToString(CultureInfo.InvariantCulture)}");
                return (JsonValue.Create(d), d == 0);
            }
            default:
                throw new InvalidOperationException($"{field.Name} is not a scalar");
        }
    }

    private static JsonNode ZeroScalar(ProtoValueType type) => type switch
    {
        ProtoValueType.String or ProtoValueType.Bytes => JsonValue.Create(""),
        ProtoValueType.Bool => JsonValue.Create(false),
        ProtoValueType.Double => JsonValue.Create(0.0),
        _ => JsonValue.Create(0),
    };

    private JsonNode? DecodeSpecial(ReadOnlySpan<byte> data, ProtoMessage message, int depth)
    {
        CheckDepth(depth);
        switch (message.Special)
        {
            case SpecialJson.Time:
            case SpecialJson.MicroTime:
            {
                // A zero time is written as an empty message and marshals to JSON null.
                if (data.IsEmpty) return null;
                var (seconds, nanos) = ReadSecondsNanos(data);
                return JsonValue.Create(message.Special == SpecialJson.Time ? FormatTime(seconds, 0, false) : FormatTime(seconds, nanos, true));
            }
            case SpecialJson.Duration:
                return JsonValue.Create(GoDuration.Format(ReadVarintField(data, "Duration")));
            case SpecialJson.Quantity:
            {
                var s = ReadStringField(data, 1, "String");
                return JsonValue.Create(s.Length == 0 ? "0" : s);
            }
            case SpecialJson.IntOrString:
                return ReadIntOrString(data);
            case SpecialJson.RawExtension:
            case SpecialJson.RawJson:
                return RawJson(ReadBytesField(data, message.Name), depth);
            case SpecialJson.GroupVersion:
            {
                var group = ReadStringField(data, 1, "Group");
                var version = ReadStringField(data, 2, "Version");
                return JsonValue.Create(group.Length == 0 ? version : group + "/" + version);
            }
        }

        // Slice and the apiextensions JSONSchemaPropsOr* unions: decode the fields, then pick the JSON form.
        var fields = new JsonObject();
        FillObject(fields, data, message, depth);
        JsonNode? Take(int number)
        {
            var name = message.Field(number)?.JsonName;
            if (name == null || !fields.TryGetPropertyValue(name, out var node)) return null;
            fields.Remove(name);
            return node;
        }
        switch (message.Special)
        {
            case SpecialJson.Slice:
                return Take(1) ?? new JsonArray();
            case SpecialJson.SchemaOrArray:
            {
                var schemas = Take(2);
                var single = Take(1);
                return schemas is JsonArray { Count: > 0 } ? schemas : single;
            }
            case SpecialJson.SchemaOrBool:
            {
                var allows = Take(1);
                return Take(2) ?? JsonValue.Create(allows?.GetValue<bool>() == true);
            }
            case SpecialJson.SchemaOrStringArray:
            {
                var property = Take(2);
                var single = Take(1);
                return property is JsonArray { Count: > 0 } ? property : single;
            }
            default:
                throw new InvalidOperationException($"unhandled special JSON type {message.Special}");
        }
    }

    /// <summary>Embedded JSON text; a nested "k8s\0" envelope when the producer embedded protobuf.</summary>
    private JsonNode? RawJson(ReadOnlySpan<byte> raw, int depth)
    {
        if (raw.IsEmpty) return null;
        if (KubeProtobuf.HasMagic(raw)) return DecodeEnvelope(raw, depth + 1);
        try
        {
            return JsonNode.Parse(raw);
        }
        catch (JsonException e)
        {
            throw KubeProtobuf.Malformed("embedded object is not valid JSON: " + e.Message);
        }
    }

    private static JsonNode ReadIntOrString(ReadOnlySpan<byte> data)
    {
        long type = 0;
        var intVal = 0;
        var strVal = "";
        var reader = new ProtoWireReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag("IntOrString");
            switch (number)
            {
                case 1:
                    ExpectWireType(wireType, ProtoWireReader.Varint, "Type");
                    type = unchecked((long)reader.ReadVarint());
                    break;
                case 2:
                    ExpectWireType(wireType, ProtoWireReader.Varint, "IntVal");
                    intVal = unchecked((int)reader.ReadVarint());
                    break;
                case 3:
                    ExpectWireType(wireType, ProtoWireReader.LengthDelimited, "StrVal");
                    strVal = Utf8(reader.ReadLengthDelimited());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
        return type switch
        {
            0 => JsonValue.Create(intVal),
            1 => JsonValue.Create(strVal),
            _ => throw KubeProtobuf.Malformed("impossible IntOrString.Type"),
        };
    }

    private static (long Seconds, long Nanos) ReadSecondsNanos(ReadOnlySpan<byte> data)
    {
        long seconds = 0, nanos = 0;
        var reader = new ProtoWireReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag("Timestamp");
            if (number is 1 or 2)
            {
                ExpectWireType(wireType, ProtoWireReader.Varint, number == 1 ? "Seconds" : "Nanos");
                var v = reader.ReadVarint();
                if (number == 1) seconds = unchecked((long)v);
                else nanos = unchecked((int)v);
            }
            else reader.Skip(wireType);
        }
        return (seconds, nanos);
    }

    /// <summary>RFC 3339 in UTC: seconds only for Time (apiserver ignores nanos), 6 fraction digits for MicroTime.</summary>
    private static string FormatTime(long seconds, long nanos, bool micro)
    {
        // Go's time.Unix normalises nanos outside [0, 1e9) into the seconds.
        seconds += Math.DivRem(nanos, 1_000_000_000L, out var rem);
        if (rem < 0)
        {
            seconds--;
            rem += 1_000_000_000L;
        }
        const long minSeconds = -62135596800L; // 0001-01-01T00:00:00Z
        const long maxSeconds = 253402300799L; // 9999-12-31T23:59:59Z
        if (seconds < minSeconds || seconds > maxSeconds)
            throw KubeProtobuf.Malformed("Time.MarshalJSON: year outside of range [0,9999]");
        var time = DateTime.UnixEpoch.AddSeconds(seconds);
        return micro
            ? time.AddTicks(rem / 1000 * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)
            : time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private static long ReadVarintField(ReadOnlySpan<byte> data, string goName)
    {
        long value = 0;
        var reader = new ProtoWireReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag(goName);
            if (number == 1)
            {
                ExpectWireType(wireType, ProtoWireReader.Varint, goName);
                value = unchecked((long)reader.ReadVarint());
            }
            else reader.Skip(wireType);
        }
        return value;
    }

    private static string ReadStringField(ReadOnlySpan<byte> data, int fieldNumber, string goName)
    {
        var value = "";
        var reader = new ProtoWireReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag(goName);
            if (number == fieldNumber)
            {
                ExpectWireType(wireType, ProtoWireReader.LengthDelimited, goName);
                value = Utf8(reader.ReadLengthDelimited());
            }
            else reader.Skip(wireType);
        }
        return value;
    }

    private static ReadOnlySpan<byte> ReadBytesField(ReadOnlySpan<byte> data, string message)
    {
        var value = ReadOnlySpan<byte>.Empty;
        var reader = new ProtoWireReader(data);
        while (!reader.End)
        {
            var (number, wireType) = reader.ReadTag(message);
            if (number == 1)
            {
                ExpectWireType(wireType, ProtoWireReader.LengthDelimited, "Raw");
                value = reader.ReadLengthDelimited();
            }
            else reader.Skip(wireType);
        }
        return value;
    }

    private static JsonObject ObjectAt(JsonObject target, string name)
    {
        if (target[name] is JsonObject existing) return existing;
        var created = new JsonObject();
        target[name] = created;
        return created;
    }

    private static JsonArray ArrayAt(JsonObject target, string name)
    {
        if (target[name] is JsonArray existing) return existing;
        var created = new JsonArray();
        target[name] = created;
        return created;
    }

    private static void ExpectWireType(int actual, int expected, string goName)
    {
        if (actual != expected) throw KubeProtobuf.Malformed($"proto: wrong wireType = {actual} for field {goName}");
    }

    private static void CheckDepth(int depth)
    {
        if (depth > MaxDepth) throw KubeProtobuf.Malformed($"protobuf message nesting exceeds the maximum depth of {MaxDepth}");
    }

    private static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
