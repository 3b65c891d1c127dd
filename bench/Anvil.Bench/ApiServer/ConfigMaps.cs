using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Anvil.Bench.ApiServer;

/// <summary>Request bodies of ~1 KB configmaps and the few fields the benchmark reads back.</summary>
internal static class ConfigMaps
{
    /// <summary>1,000 characters of fixed pseudo-random text: the ~1 KB of data per object.</summary>
    public static readonly string Payload = MakePayload(1000);

    public static string CollectionPath(string ns) => $"/api/v1/namespaces/{ns}/configmaps";

    public static string ObjectPath(string ns, string name) => $"/api/v1/namespaces/{ns}/configmaps/{name}";

    public static string PreloadName(int i) => $"cm-{i:D6}";

    public static byte[] Namespace(string name) =>
        Encoding.UTF8.GetBytes($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{name}}}"}}""");

    /// <summary>A create body; <paramref name="stamp"/> goes into data (the watch probe's send time).</summary>
    public static byte[] Create(string name, string stamp = "0") => Write(name, null, null, stamp);

    /// <summary>A PUT body with the resourceVersion precondition, as a client sends back what it read.</summary>
    public static byte[] Update(string name, string ns, string uid, string resourceVersion, string stamp) =>
        Write(name, ns, (uid, resourceVersion), stamp);

    private static byte[] Write(string name, string? ns, (string Uid, string Rv)? existing, string stamp)
    {
        var buffer = new ArrayBufferWriter<byte>(1400);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "v1");
            w.WriteString("kind", "ConfigMap");
            w.WriteStartObject("metadata");
            w.WriteString("name", name);
            if (ns != null) w.WriteString("namespace", ns);
            if (existing is { } e)
            {
                w.WriteString("uid", e.Uid);
                w.WriteString("resourceVersion", e.Rv);
            }
            w.WriteStartObject("labels");
            w.WriteString("app", "anvil-bench");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject("data");
            w.WriteString("payload", Payload);
            w.WriteString("stamp", stamp);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>metadata.uid and metadata.resourceVersion of an object response.</summary>
    public static (string Uid, string ResourceVersion) Identity(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        var meta = doc.RootElement.GetProperty("metadata");
        return (meta.GetProperty("uid").GetString() ?? "", meta.GetProperty("resourceVersion").GetString() ?? "");
    }

    /// <summary>
    /// metadata.continue of a list response, scanning only until it is found: the server writes metadata
    /// before items, so this does not parse the items.
    /// </summary>
    public static string ListContinue(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        var inMetadata = false;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
            {
                if (reader.ValueTextEquals("metadata"))
                {
                    inMetadata = true;
                    continue;
                }
                if (inMetadata) return "";
                reader.Skip();
            }
            else if (inMetadata && reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 2 && reader.ValueTextEquals("continue"))
            {
                reader.Read();
                return reader.GetString() ?? "";
            }
            else if (inMetadata && reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 1)
            {
                return "";
            }
        }
        return "";
    }

    /// <summary>Number of entries of a list's items (or a Table's rows).</summary>
    public static int CountItems(byte[] body, string property)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.TryGetProperty(property, out var items) && items.ValueKind == JsonValueKind.Array ? items.GetArrayLength() : -1;
    }

    private static string MakePayload(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var random = new Random(42);
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
        return new string(chars);
    }
}
