using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;

namespace Anvil.Machinery.Patches;

/// <summary>
/// JSON patch (RFC 6902, <c>application/json-patch+json</c>) with the behaviour of evanphx/json-patch v4
/// as kube-apiserver uses it: negative array indices count from the end, <c>replace</c> of a missing
/// object member adds it, and any failure while applying becomes 422 Invalid "the server rejected our
/// request due to an error in our request" (the underlying message is not returned, as upstream).
/// </summary>
public static class JsonPatch
{
    /// <summary>kube-apiserver's maxJSONPatchOperations.</summary>
    public const int MaxOperations = 10000;

    /// <summary>
    /// Decodes a request body as a list of operations. Errors are 400 BadRequest with Go's decoding
    /// messages (e.g. <c>json: cannot unmarshal object into Go value of type jsonpatch.Patch</c>).
    /// A body of <c>null</c> is an empty patch.
    /// </summary>
    public static JsonArray Parse(ReadOnlySpan<byte> body)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = true });
        }
        catch (JsonException e)
        {
            throw StatusError.BadRequest(SyntaxMessage(body, e));
        }
        switch (node)
        {
            case null: return [];
            case JsonArray ops:
                foreach (var op in ops)
                    if (op is not (JsonObject or null))
                        throw StatusError.BadRequest($"json: cannot unmarshal {GoKind(op)} into Go value of type jsonpatch.Operation");
                return ops;
            default:
                throw StatusError.BadRequest($"json: cannot unmarshal {GoKind(node)} into Go value of type jsonpatch.Patch");
        }
    }

    /// <summary>Applies the operations to a copy of <paramref name="document"/>.</summary>
    /// <exception cref="StatusError">413 when there are more than <see cref="MaxOperations"/>; 422 when an operation fails.</exception>
    public static JsonNode Apply(JsonNode document, JsonArray operations)
    {
        if (operations.Count > MaxOperations)
            throw StatusError.RequestEntityTooLarge(
                $"Request entity too large: The allowed maximum operations in a JSON patch is {MaxOperations}, got {operations.Count}");
        var root = new JsonObject { ["doc"] = document.DeepClone() }; // a holder so the document itself can be replaced
        foreach (var raw in operations)
        {
            var op = raw as JsonObject ?? [];
            var kind = StringMember(op, "op") ?? "unknown";
            try
            {
                switch (kind)
                {
                    case "add": Add(root, Path(op, "path"), ValueOf(op)); break;
                    case "remove": Remove(root, Path(op, "path")); break;
                    case "replace": Replace(root, Path(op, "path"), ValueOf(op)); break;
                    case "move": Move(root, Path(op, "from"), Path(op, "path")); break;
                    case "copy": Copy(root, Path(op, "from"), Path(op, "path")); break;
                    case "test": Test(root, Path(op, "path"), op.TryGetPropertyValue("value", out var v) ? v : null); break;
                    default: throw new PatchFailure($"Unexpected kind: {kind}");
                }
            }
            catch (PatchFailure)
            {
                throw PatchErrors.Unprocessable();
            }
        }
        return root["doc"]!;
    }

    private sealed class PatchFailure(string message) : Exception(message);

    private static string? StringMember(JsonObject op, string name) =>
        op.TryGetPropertyValue(name, out var v) && v is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : null;

    private static string Path(JsonObject op, string name) =>
        StringMember(op, name) ?? throw new PatchFailure($"operation missing {name} field");

    private static JsonNode? ValueOf(JsonObject op) =>
        op.TryGetPropertyValue("value", out var v) ? v?.DeepClone() : null;

    /// <summary>
    /// evanphx's findObject: the container holding the last segment, and that segment unescaped.
    /// Works on the holder object so the pointer "" / "/x" resolve against the document.
    /// </summary>
    private static (JsonNode? Container, string Key) Find(JsonObject root, string path)
    {
        var split = path.Split('/');
        if (split.Length < 2) return (null, "");
        JsonNode? doc = root["doc"];
        for (var i = 1; i < split.Length - 1; i++)
        {
            var next = Get(doc, Unescape(split[i]));
            if (next is not (JsonObject or JsonArray)) return (null, "");
            doc = next;
        }
        return (doc, Unescape(split[^1]));
    }

    private static string Unescape(string segment) => segment.Replace("~1", "/").Replace("~0", "~");

    private static JsonNode? Get(JsonNode? container, string key)
    {
        switch (container)
        {
            case JsonObject o: return o.TryGetPropertyValue(key, out var v) ? v : null;
            case JsonArray a:
                return a[Index(key, a.Count)];
            default: return null;
        }
    }

    private static int Index(string key, int size)
    {
        if (!int.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var idx))
            throw new PatchFailure($"value was not a proper array index: '{key}'");
        if (idx < 0)
        {
            if (idx < -size) throw new PatchFailure($"Unable to access invalid index: {idx}");
            idx += size;
        }
        if (idx >= size) throw new PatchFailure($"Unable to access invalid index: {idx}");
        return idx;
    }

    private static void Add(JsonObject root, string path, JsonNode? value)
    {
        var (container, key) = Find(root, path);
        switch (container)
        {
            case JsonObject o: o[key] = value; break;
            case JsonArray a:
                if (key == "-") { a.Add(value); break; }
                var idx = Index(key, a.Count + 1);
                a.Insert(idx, value);
                break;
            default: throw new PatchFailure($"add operation does not apply: doc is missing path: \"{path}\"");
        }
    }

    private static JsonNode? Remove(JsonObject root, string path)
    {
        var (container, key) = Find(root, path);
        switch (container)
        {
            case JsonObject o:
                if (!o.TryGetPropertyValue(key, out var existing)) throw new PatchFailure($"Unable to remove nonexistent key: {key}");
                o.Remove(key);
                return existing;
            case JsonArray a:
                var idx = Index(key, a.Count);
                var item = a[idx];
                a.RemoveAt(idx);
                return item;
            default: throw new PatchFailure($"remove operation does not apply: doc is missing path: \"{path}\"");
        }
    }

    private static void Replace(JsonObject root, string path, JsonNode? value)
    {
        var (container, key) = Find(root, path);
        switch (container)
        {
            case JsonObject o: o[key] = value; break; // v4 does not require the member to exist
            case JsonArray a: a[Index(key, a.Count)] = value; break;
            default: throw new PatchFailure($"replace operation does not apply: doc is missing path: {path}");
        }
    }

    private static void Move(JsonObject root, string from, string path)
    {
        var (container, _) = Find(root, from);
        if (container is null) throw new PatchFailure($"move operation does not apply: doc is missing from path: {from}");
        var value = Remove(root, from);
        if (Find(root, path).Container is null) throw new PatchFailure($"move operation does not apply: doc is missing destination path: {path}");
        Add(root, path, value);
    }

    private static void Copy(JsonObject root, string from, string path)
    {
        var (container, key) = Find(root, from);
        if (container is null) throw new PatchFailure($"copy operation does not apply: doc is missing from path: {from}");
        var value = Get(container, key);
        if (value is null && !(container is JsonObject o && o.ContainsKey(key)))
            throw new PatchFailure($"copy operation does not apply: doc is missing from path: {from}");
        if (Find(root, path).Container is null) throw new PatchFailure($"copy operation does not apply: doc is missing destination path: {path}");
        Add(root, path, value?.DeepClone());
    }

    private static void Test(JsonObject root, string path, JsonNode? expected)
    {
        var (container, key) = Find(root, path);
        if (container is null) throw new PatchFailure($"test operation does not apply: is missing path: {path}");
        var actual = Get(container, key);
        // A missing member, or null, matches an absent or null value.
        if (actual is null ? expected is not null : !JsonCompare.DeepEquals(actual, expected))
            throw new PatchFailure($"testing value {path} failed");
    }

    private static string GoKind(JsonNode? node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        null => "null",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "bool",
        },
    };

    /// <summary>Go's encoding/json syntax error texts for the common cases.</summary>
    internal static string SyntaxMessage(ReadOnlySpan<byte> body, JsonException e)
    {
        var offset = ByteOffset(body, e);
        while (offset < body.Length && body[offset] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') offset++;
        if (offset >= body.Length) return "unexpected end of JSON input";
        var c = (char)body[offset];
        return $"invalid character '{c}' looking for beginning of value";
    }

    private static int ByteOffset(ReadOnlySpan<byte> body, JsonException e)
    {
        var line = (int)(e.LineNumber ?? 0);
        var col = (int)(e.BytePositionInLine ?? 0);
        var i = 0;
        for (var l = 0; l < line && i < body.Length; i++)
            if (body[i] == '\n') l++;
        return Math.Min(body.Length, i + col);
    }
}
