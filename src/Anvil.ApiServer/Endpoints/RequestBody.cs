using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Serialization;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

/// <summary>Reads and decodes request bodies: size limit, media types, JSON/YAML/protobuf.</summary>
public static class RequestBody
{
    /// <summary>kube-apiserver's default limit for a request body (3 MiB).</summary>
    public const int MaxBytes = 3 * 1024 * 1024;

    private static readonly object CapturedKey = new();

    /// <summary>Reads the body once; later calls (and the audit log, through <see cref="Captured"/>) get the same bytes.</summary>
    public static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (Captured(request.HttpContext) is { } read) return read;
        if (request.ContentLength > MaxBytes) throw TooLarge();
        var body = request.ContentLength is { } length
            ? await ReadExactAsync(request.Body, (int)length, ct).ConfigureAwait(false)
            : await ReadToEndAsync(request.Body, ct).ConfigureAwait(false);
        request.HttpContext.Items[CapturedKey] = body;
        return body;
    }

    /// <summary>A body of announced length goes straight into its array: no copy, no scratch buffer per request.</summary>
    private static async Task<byte[]> ReadExactAsync(Stream stream, int length, CancellationToken ct)
    {
        var body = length == 0 ? [] : new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await stream.ReadAsync(body.AsMemory(read), ct).ConfigureAwait(false);
            if (n == 0) break;
            read += n;
        }
        // The server enforces Content-Length; a short body is what arrived.
        return read == length ? body : body[..read];
    }

    private static async Task<byte[]> ReadToEndAsync(Stream stream, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var ms = new MemoryStream();
            while (true)
            {
                var n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0) break;
                if (ms.Length + n > MaxBytes) throw TooLarge();
                ms.Write(buffer, 0, n);
            }
            return ms.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The body as <see cref="ReadAsync"/> read it, or null when the handler did not read it.</summary>
    public static byte[]? Captured(HttpContext ctx) => ctx.Items.TryGetValue(CapturedKey, out var b) ? b as byte[] : null;

    private static StatusError TooLarge() => StatusError.RequestEntityTooLarge($"Request entity too large: limit is {MaxBytes}");

    /// <summary>The media type without parameters, lower-cased ("" when absent).</summary>
    public static string MediaType(string? contentType) =>
        contentType == null ? "" : contentType.Split(';')[0].Trim().ToLowerInvariant();

    /// <summary>Decodes an object body by content type (create, update). Wrong syntax is 400; unknown types 415.</summary>
    public static JsonObject DecodeObject(byte[] body, string? contentType)
    {
        var media = MediaType(contentType);
        switch (media)
        {
            case "application/json" or "":
                return ParseJsonObject(body);
            case "application/yaml":
                return ParseYamlObject(body);
            case "application/vnd.kubernetes.protobuf":
                return Anvil.Machinery.Protobuf.KubeProtobuf.Decode(body);
            default:
                throw StatusError.UnsupportedMediaType(media);
        }
    }

    public static JsonObject ParseJsonObject(byte[] body)
    {
        if (body.Length == 0) throw StatusError.BadRequest("the body of the request was empty");
        try
        {
            var node = JsonNode.Parse(body, KubeJson.NodeOptions, KubeJson.DocumentOptions);
            if (node is JsonObject obj)
            {
                // Materialise now so duplicate keys surface here rather than later.
                _ = obj.Count;
                return obj;
            }
            throw StatusError.BadRequest($"couldn't get version/kind; json parse error: json: cannot unmarshal {JsonKind(node)} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}");
        }
        catch (JsonException e)
        {
            throw StatusError.BadRequest($"couldn't get version/kind; json parse error: {Describe(e)}");
        }
        catch (ArgumentException)
        {
            // System.Text.Json refuses duplicate keys when building a JsonObject; take the last like Go.
            return LastWins(body);
        }
    }

    public static JsonObject ParseYamlObject(byte[] body)
    {
        var node = Anvil.Machinery.Serialization.Yaml.ToJson(Encoding.UTF8.GetString(body));
        return node as JsonObject ?? throw StatusError.BadRequest("couldn't get version/kind; json parse error: the body is not a YAML mapping");
    }

    /// <summary>Re-reads a JSON object whose keys repeat, keeping the last value of each key (as Go's decoder does).</summary>
    private static JsonObject LastWins(byte[] body)
    {
        using var doc = JsonDocument.Parse(body, KubeJson.DocumentOptions);
        return (JsonObject)Convert(doc.RootElement)!;

        static JsonNode? Convert(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Object => Obj(e),
            JsonValueKind.Array => new JsonArray(e.EnumerateArray().Select(Convert).ToArray()),
            _ => JsonValue.Create(e),
        };

        static JsonObject Obj(JsonElement e)
        {
            var o = new JsonObject();
            foreach (var p in e.EnumerateObject()) o[p.Name] = Convert(p.Value);
            return o;
        }
    }

    private static string JsonKind(JsonNode? node) => node switch
    {
        JsonArray => "array",
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => "string",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => "number",
        _ => "bool",
    };

    private static string Describe(JsonException e)
    {
        var msg = e.Message;
        var cut = msg.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? msg[..cut] : msg;
    }
}
