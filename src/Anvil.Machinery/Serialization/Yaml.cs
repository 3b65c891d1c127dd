using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Patches;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Anvil.Machinery.Serialization;

/// <summary>
/// YAML bodies (<c>application/yaml</c>, <c>application/apply-patch+yaml</c>) and YAML responses, with the
/// conversions of sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 scalars): unquoted true/yes/on → true,
/// false/no/off → false, null/~/empty → null, ints (also 0x.., 0o.., 0b.., 1_000) and floats → numbers,
/// timestamps and everything quoted stay strings; anchors, aliases and &lt;&lt; merge keys are resolved;
/// of a duplicated key the last value wins. Only the first document is read.
/// </summary>
public static partial class Yaml
{
    /// <summary>Converts YAML to JSON; null for an empty document.</summary>
    /// <exception cref="StatusError">400 BadRequest "error converting YAML to JSON: yaml: line N: ..." for malformed YAML.</exception>
    public static JsonNode? ToJson(string yaml) => ToJson(yaml, out _);

    /// <summary>
    /// Converts YAML to JSON and reports duplicate keys as YAMLToJSONStrict words it
    /// (<c>error converting YAML to JSON: yaml: unmarshal errors:\n  line 3: key "a" already set in map</c>),
    /// or null when there are none; strict field validation adds that text to its problems.
    /// </summary>
    public static JsonNode? ToJson(string yaml, out string? duplicateKeysError)
    {
        var reader = new Reader(yaml);
        var node = reader.ReadFirstDocument();
        duplicateKeysError = reader.Duplicates.Count == 0
            ? null
            : "error converting YAML to JSON: yaml: unmarshal errors:\n  " + string.Join("\n  ", reader.Duplicates);
        return node;
    }

    /// <summary>Renders JSON as the YAML kube-apiserver answers with: keys sorted as go-yaml sorts them, block style, 2-space indent.</summary>
    public static string FromJson(JsonNode? json)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        var emitter = new Emitter(writer);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        Emit(emitter, json);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonObject o:
                if (o.Count == 0)
                {
                    emitter.Emit(new MappingStart(null, null, true, MappingStyle.Flow));
                    emitter.Emit(new MappingEnd());
                    break;
                }
                emitter.Emit(new MappingStart(null, null, true, MappingStyle.Block));
                var keys = o.Select(p => p.Key).ToList();
                keys.Sort(GoYamlKeyOrder);
                foreach (var key in keys)
                {
                    EmitString(emitter, key);
                    Emit(emitter, o[key]);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray a:
                emitter.Emit(new SequenceStart(null, null, true, a.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in a) Emit(emitter, item);
                emitter.Emit(new SequenceEnd());
                break;
            default:
                switch (node.GetValueKind())
                {
                    case JsonValueKind.String: EmitString(emitter, node.GetValue<string>()); break;
                    case JsonValueKind.True: emitter.Emit(new Scalar(null, null, "true", ScalarStyle.Plain, true, false)); break;
                    case JsonValueKind.False: emitter.Emit(new Scalar(null, null, "false", ScalarStyle.Plain, true, false)); break;
                    default: emitter.Emit(new Scalar(null, null, node.ToJsonString(), ScalarStyle.Plain, true, false)); break;
                }
                break;
        }
    }

    private static void EmitString(IEmitter emitter, string s)
    {
        // go-yaml: literal block for multi-line text; double quotes when plain text would read back as another type.
        ScalarStyle style;
        if (s.Contains('\n')) style = ScalarStyle.Literal;
        else if (Resolve(s) is not ResolvedString || Base60Float().IsMatch(s)) style = ScalarStyle.DoubleQuoted;
        else style = ScalarStyle.Any;
        emitter.Emit(new Scalar(null, null, s, style, true, true));
    }

    /// <summary>go-yaml v2's keyList.Less: digit runs compare numerically, non-letters sort before letters.</summary>
    private static int GoYamlKeyOrder(string a, string b)
    {
        if (a == b) return 0;
        return Less(a, b) ? -1 : Less(b, a) ? 1 : 0;

        static bool Less(string a, string b)
        {
            var ar = a.EnumerateRunes().ToArray();
            var br = b.EnumerateRunes().ToArray();
            for (var i = 0; i < ar.Length && i < br.Length; i++)
            {
                if (ar[i] == br[i]) continue;
                var al = Rune.IsLetter(ar[i]);
                var bl = Rune.IsLetter(br[i]);
                if (al && bl) return ar[i] < br[i];
                if (al || bl) return bl;
                long an = 0, bn = 0;
                if (ar[i].Value == '0' || br[i].Value == '0')
                {
                    for (var j = i - 1; j >= 0 && Rune.IsDigit(ar[j]); j--)
                    {
                        if (ar[j].Value != '0')
                        {
                            an = 1;
                            bn = 1;
                            break;
                        }
                    }
                }
                int ai, bi;
                for (ai = i; ai < ar.Length && Rune.IsDigit(ar[ai]); ai++) an = an * 10 + (ar[ai].Value - '0');
                for (bi = i; bi < br.Length && Rune.IsDigit(br[bi]); bi++) bn = bn * 10 + (br[bi].Value - '0');
                if (an != bn) return an < bn;
                if (ai != bi) return ai < bi;
                return ar[i] < br[i];
            }
            return ar.Length < br.Length;
        }
    }

    private abstract record Resolved;
    private sealed record ResolvedString(string Value) : Resolved;
    private sealed record ResolvedNode(JsonNode? Value) : Resolved;

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex YamlStyleFloat();

    [GeneratedRegex(@"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")]
    private static partial Regex Base60Float();

    /// <summary>go-yaml v2's resolve() for a plain scalar.</summary>
    private static Resolved Resolve(string s)
    {
        switch (s)
        {
            case "" or "~" or "null" or "Null" or "NULL": return new ResolvedNode(null);
            case "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON": return new ResolvedNode(JsonValue.Create(true));
            case "n" or "N" or "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF": return new ResolvedNode(JsonValue.Create(false));
            case ".nan" or ".NaN" or ".NAN" or ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF":
                throw StatusError.BadRequest($"error converting YAML to JSON: json: unsupported value: {(s.Contains("nan", StringComparison.OrdinalIgnoreCase) ? "NaN" : s.StartsWith('-') ? "-Inf" : "+Inf")}");
        }
        var c = s[0];
        if (c is (>= '0' and <= '9') or '-' or '+')
        {
            var plain = s.Replace("_", "");
            if (TryGoParseInt(plain, out var number)) return new ResolvedNode(JsonNode.Parse(number));
            if (YamlStyleFloat().IsMatch(plain) && double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && !double.IsInfinity(f))
                return new ResolvedNode(JsonNode.Parse(GoFormat.JsonFloat(f)));
        }
        else if (c == '.' && YamlStyleFloat().IsMatch(s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var g))
        {
            return new ResolvedNode(JsonNode.Parse(GoFormat.JsonFloat(g)));
        }
        return new ResolvedString(s);
    }

    /// <summary>strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b, leading-0 octal), as decimal text.</summary>
    private static bool TryGoParseInt(string s, out string decimalText)
    {
        decimalText = "";
        var negative = s.StartsWith('-');
        var body = s.StartsWith('-') || s.StartsWith('+') ? s[1..] : s;
        if (body.Length == 0) return false;
        int radix = 10;
        if (body.Length > 1 && body[0] == '0')
        {
            switch (body[1])
            {
                case 'x' or 'X': radix = 16; body = body[2..]; break;
                case 'o' or 'O': radix = 8; body = body[2..]; break;
                case 'b' or 'B': radix = 2; body = body[2..]; break;
                default: radix = 8; body = body[1..]; break;
            }
            if (body.Length == 0) return false;
        }
        System.Numerics.BigInteger value = 0;
        foreach (var ch in body)
        {
            var digit = ch switch
            {
                >= '0' and <= '9' => ch - '0',
                >= 'a' and <= 'f' => ch - 'a' + 10,
                >= 'A' and <= 'F' => ch - 'A' + 10,
                _ => 99,
            };
            if (digit >= radix) return false;
            value = value * radix + digit;
        }
        if (negative) value = -value;
        if (value < long.MinValue || value > ulong.MaxValue) return false;
        decimalText = value.ToString(CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>Builds JSON from the parser's events.</summary>
    private sealed class Reader(string yaml)
    {
        private readonly IParser _parser = new Parser(new StringReader(yaml));
        private readonly Dictionary<string, JsonNode?> _anchors = new(StringComparer.Ordinal);
        public List<string> Duplicates { get; } = [];

        public JsonNode? ReadFirstDocument()
        {
            try
            {
                _parser.Consume<StreamStart>();
                if (!_parser.TryConsume<DocumentStart>(out _)) return null;
                if (_parser.Accept<DocumentEnd>(out _)) return null;
                return Node();
            }
            catch (YamlException e)
            {
                throw StatusError.BadRequest($"error converting YAML to JSON: yaml: line {e.Start.Line}: {Describe(e)}");
            }
        }

        private static string Describe(YamlException e)
        {
            var message = e.InnerException is YamlException inner ? inner.Message : e.Message;
            var comma = message.IndexOf(", ", StringComparison.Ordinal);
            if (message.StartsWith("While ", StringComparison.Ordinal) && comma > 0) message = message[(comma + 2)..];
            message = message.TrimEnd('.');
            return message.Length > 0 ? char.ToLowerInvariant(message[0]) + message[1..] : message;
        }

        private JsonNode? Node()
        {
            var ev = _parser.Current ?? throw new YamlException("unexpected end of stream");
            switch (ev)
            {
                case AnchorAlias alias:
                    _parser.MoveNext();
                    if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                        throw new YamlException(alias.Start, alias.End, $"unknown anchor '{alias.Value.Value}' referenced");
                    return target?.DeepClone();
                case Scalar scalar:
                    _parser.MoveNext();
                    var value = ScalarValue(scalar);
                    Remember(scalar.Anchor, value);
                    return value;
                case SequenceStart seq:
                    _parser.MoveNext();
                    var list = new JsonArray();
                    while (!_parser.TryConsume<SequenceEnd>(out _)) list.Add(Node());
                    Remember(seq.Anchor, list);
                    return list;
                case MappingStart map:
                    _parser.MoveNext();
                    var obj = Mapping();
                    Remember(map.Anchor, obj);
                    return obj;
                default:
                    throw new YamlException(ev.Start, ev.End, $"unexpected {ev.GetType().Name}");
            }
        }

        private JsonObject Mapping()
        {
            var obj = new JsonObject();
            var explicitKeys = new HashSet<string>(StringComparer.Ordinal); // a key may override one from a << merge
            while (!_parser.TryConsume<MappingEnd>(out _))
            {
                var keyEvent = _parser.Current!;
                var isMerge = keyEvent is Scalar { Style: ScalarStyle.Plain, Value: "<<" } k && k.Tag.IsEmpty;
                var key = Node();
                var valueEvent = _parser.Current!;
                var value = Node();
                if (isMerge)
                {
                    Merge(obj, value, valueEvent);
                    continue;
                }
                var name = KeyString(key, keyEvent);
                if (!explicitKeys.Add(name)) Duplicates.Add($"line {valueEvent.Start.Line}: key {GoKey(key)} already set in map");
                obj[name] = value; // last one wins, as in non-strict go-yaml
            }
            return obj;
        }

        private static void Merge(JsonObject into, JsonNode? value, ParsingEvent at)
        {
            IEnumerable<JsonNode?> sources = value switch
            {
                JsonObject => [value],
                JsonArray list => list.Reverse(), // earlier maps take precedence
                _ => throw new YamlException(at.Start, at.End, "map merge requires map or sequence of maps as the value"),
            };
            foreach (var source in sources)
            {
                if (source is not JsonObject map) throw new YamlException(at.Start, at.End, "map merge requires map or sequence of maps as the value");
                foreach (var (k, v) in map) into[k] = v?.DeepClone();
            }
        }

        private static string KeyString(JsonNode? key, ParsingEvent at) => key switch
        {
            null => throw StatusError.BadRequest("error converting YAML to JSON: unsupported map key of type: %!s(<nil>), key: <nil>"),
            JsonObject or JsonArray => throw new YamlException(at.Start, at.End, $"invalid map key: {GoFormat.Value(key)}"),
            _ => key.GetValueKind() switch
            {
                JsonValueKind.String => key.GetValue<string>(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => key.ToJsonString(),
            },
        };

        /// <summary>Go's %#v of a map key.</summary>
        private static string GoKey(JsonNode? key) => key is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? FieldValidation.FieldValidator.GoQuote(v.GetValue<string>())
            : GoFormat.Value(key);

        private void Remember(AnchorName anchor, JsonNode? value)
        {
            if (!anchor.IsEmpty) _anchors[anchor.Value] = value?.DeepClone();
        }

        private static JsonNode? ScalarValue(Scalar scalar)
        {
            var tag = scalar.Tag.IsEmpty ? "" : scalar.Tag.Value;
            if (tag.StartsWith("tag:yaml.org,2002:", StringComparison.Ordinal)) tag = "!!" + tag["tag:yaml.org,2002:".Length..];
            switch (tag)
            {
                case "!!str" or "!": return JsonValue.Create(scalar.Value);
                case "!!null": return null;
                case "!!bool" or "!!int" or "!!float":
                    return Resolve(scalar.Value) is ResolvedNode n ? n.Value
                        : throw new YamlException(scalar.Start, scalar.End, $"cannot decode {tag} `{scalar.Value}`");
            }
            if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(scalar.Value);
            return Resolve(scalar.Value) switch
            {
                ResolvedNode n => n.Value,
                ResolvedString s => JsonValue.Create(s.Value),
                _ => null,
            };
        }
    }
}
