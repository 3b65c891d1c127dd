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
        if (!TryFindMetadataEnd(stored, out var end, out var empty)) return false;
        output.Write(stored[..end]);
        Span<byte> rv = stackalloc byte[64];
        var n = 0;
        if (!empty) rv[n++] = (byte)',';
        "\"resourceVersion\":\""u8.CopyTo(rv[n..]);
        n += 19;
        revision.TryFormat(rv[n..], out var digits, default, CultureInfo.InvariantCulture);
        n += digits;
        rv[n++] = (byte)'"';
        output.Write(rv[..n]);
        output.Write(stored[end..]);
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
