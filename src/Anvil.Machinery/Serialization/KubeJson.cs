using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Serialization;

/// <summary>JSON settings shared by everything that writes API objects: compact, and no HTML-style escaping of '+', '&lt;' or non-ASCII.</summary>
public static class KubeJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = true,
    };

    public static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };

    public static byte[] ToBytes(JsonNode node)
    {
        // Straight into a per-thread buffer (serializing is synchronous): about half the CPU of going through
        // JsonSerializer. Depth is limited as the serializer limits it, which also decides what happens beyond.
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, DepthLimitedWriterOptions);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        try
        {
            node.WriteTo(writer, Options);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        catch (InvalidOperationException)
        {
            // Too deep (or an unwritable value): the serializer gives its own answer.
            writer.Reset(buffer);
            return JsonSerializer.SerializeToUtf8Bytes(node, Options);
        }
        finally
        {
            // A huge list is not kept alive by the thread that wrote it.
            if (buffer.Capacity > MaxKeptBuffer) t_buffer = null;
            if (t_buffer == null) t_writer = null;
        }
    }

    private const int MaxKeptBuffer = 256 * 1024;

    private static readonly JsonWriterOptions DepthLimitedWriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = true,
        MaxDepth = 64, // JsonSerializerOptions' default, which Options keeps
    };

    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public static string ToText(JsonNode node) => node.ToJsonString(Options);

    /// <summary>Parses an object; throws <see cref="JsonException"/> for anything else.</summary>
    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8)
    {
        var node = JsonNode.Parse(utf8, NodeOptions, DocumentOptions);
        return node as JsonObject ?? throw new JsonException("expected a JSON object");
    }
}
