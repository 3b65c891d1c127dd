using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Registry;

/// <summary>A watch event as sent to clients: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.</summary>
/// <remarks>
/// <see cref="Progress"/> events are internal: a change that was filtered out, carrying only its revision
/// so the sender can place bookmarks correctly. They are never written to clients.
/// </remarks>
public sealed record ApiWatchEvent(string Type, JsonObject Object, long Revision = 0)
{
    public const string Progress = "";
    public const string Added = "ADDED";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
    public const string Bookmark = "BOOKMARK";
    public const string Error = "ERROR";
}
