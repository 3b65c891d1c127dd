using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// Stored objects are JSON without <c>metadata.resourceVersion</c>. Writing one out only needs that field added:
/// decoding adds it as metadata's last member, so inserting it before metadata's closing brace gives the same bytes
/// without building a tree.
/// </summary>
public static class StoredJson
{
    /// <summary>
    /// Writes <paramref name="stored"/> with <c>"resourceVersion":"<paramref name="revision"/>"</c> as metadata's last
    /// member. False (nothing written) when the object has no metadata object or already carries a resourceVersion.
    /// </summary>
    public static bool TryWriteWithResourceVersion(ReadOnlySpan<byte> stored, long revision, IBufferWriter<byte> output)
    {
        if (!TryCopyWithResourceVersion(stored, revision, output.GetSpan(stored.Length + MaxAdded), out var written)) return false;
        output.Advance(written);
        return true;
    }

    /// <summary>The most bytes <see cref="TryCopyWithResourceVersion"/> adds: a comma, the member and a long's digits.</summary>
    public const int MaxAdded = 48;

    /// <summary>
    /// <see cref="TryWriteWithResourceVersion"/> into a buffer of at least <paramref name="stored"/>'s length plus
    /// <see cref="MaxAdded"/> bytes.
    /// </summary>
    public static bool TryCopyWithResourceVersion(ReadOnlySpan<byte> stored, long revision, Span<byte> output, out int written)
    {
        written = 0;
        if (!TryFindMetadataEnd(stored, out var end, out var empty)) return false;
        stored[..end].CopyTo(output);
        var n = end;
        if (!empty) output[n++] = (byte)',';
        "\"resourceVersion\":\""u8.CopyTo(output[n..]);
        n += 19;
        revision.TryFormat(output[n..], out var digits, default, CultureInfo.InvariantCulture);
        n += digits;
        output[n++] = (byte)'"';
        stored[end..].CopyTo(output[n..]);
        written = n + stored.Length - end;
        return true;
    }

    /// <summary>The offset of metadata's closing brace in a stored object, and whether metadata has no members.</summary>
    internal static bool TryFindMetadataEnd(ReadOnlySpan<byte> json, out int end, out bool empty)
    {
        end = 0;
        empty = true;
        var r = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var isMetadata = r.ValueTextEquals("metadata"u8);
                if (!r.Read()) return false;
                if (!isMetadata)
                {
                    r.Skip();
                    continue;
                }
                if (r.TokenType != JsonTokenType.StartObject) return false;
                while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                {
                    if (r.ValueTextEquals("resourceVersion"u8)) return false;
                    empty = false;
                    if (!r.Read()) return false;
                    r.Skip();
                }
                if (r.TokenType != JsonTokenType.EndObject) return false;
                end = (int)r.TokenStartIndex;
                return true;
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
