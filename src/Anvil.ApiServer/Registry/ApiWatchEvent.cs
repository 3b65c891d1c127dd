using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Registry;

/// <summary>A watch event as sent to clients: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.</summary>
/// <remarks>
/// <see cref="Progress"/> events are internal: a change that was filtered out, carrying only its revision
/// so the sender can place bookmarks correctly. They are never written to clients.
/// An event made from a store change without a predicate keeps the stored JSON and decodes it only when
/// <see cref="Object"/> is first read: a watch that only writes it out splices the resourceVersion into the
/// stored bytes instead (see <see cref="StoredJson"/>), so fan-out to many watchers parses nothing.
/// </remarks>
public sealed class ApiWatchEvent
{
    public const string Progress = "";
    public const string Added = "ADDED";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
    public const string Bookmark = "BOOKMARK";
    public const string Error = "ERROR";

    private JsonObject? _object;
    private readonly ReadOnlyMemory<byte> _stored;

    public ApiWatchEvent(string type, JsonObject obj, long revision = 0)
    {
        Type = type;
        _object = obj;
        Revision = revision;
    }

    /// <summary>An event whose object is the stored JSON of revision <paramref name="revision"/>'s change (resourceVersion not yet set).</summary>
    public ApiWatchEvent(string type, ReadOnlyMemory<byte> stored, long revision)
    {
        Type = type;
        _stored = stored;
        Revision = revision;
    }

    public string Type { get; }

    public long Revision { get; }

    /// <summary>The object, with metadata.resourceVersion set to <see cref="Revision"/> when it came from the store. One reader at a time.</summary>
    public JsonObject Object => _object ??= ResourceStore.Decode(_stored.Span, Revision);

    /// <summary>The stored JSON (without resourceVersion) while <see cref="Object"/> has not been decoded; empty otherwise.</summary>
    public ReadOnlyMemory<byte> StoredJson => _object == null ? _stored : default;
}
