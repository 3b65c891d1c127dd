using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Storage;

namespace Anvil.ApiServer.Registry;

public sealed partial class ResourceStore
{
    /// <summary>
    /// Opens a watch. Validates the starting resourceVersion eagerly (a compacted one is 410 Expired, as an
    /// ERROR event the caller writes), then yields events filtered by namespace and predicate. A change that
    /// makes an object stop (start) matching the predicate is sent as DELETED (ADDED), as the apiserver does.
    /// </summary>
    public async Task<IAsyncEnumerable<ApiWatchEvent>> WatchAsync(ResourceDefinition def, string ns, WatchOptions options, CancellationToken ct)
    {
        var prefix = def.ListPrefix(ns);
        var initial = new List<JsonObject>();
        long from;
        var rvText = options.ResourceVersion;
        var sendInitial = options.SendInitialEvents ?? (rvText.Length == 0 || rvText == "0");
        if (rvText.Length == 0 || rvText == "0" || sendInitial)
        {
            var list = await ListAsync(def, ns, new ListOptions { Predicate = options.Predicate }, ct).ConfigureAwait(false);
            from = list.ResourceVersion;
            if (sendInitial) initial.AddRange(list.Items);
        }
        else if (!long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out from))
        {
            throw StatusError.BadRequest($"Invalid value: \"{rvText}\": a resourceVersion must be a non-negative integer");
        }

        IAsyncEnumerable<WatchEvent> changes;
        try
        {
            changes = _store.WatchAsync(prefix, from, ct);
        }
        catch (CompactedException e)
        {
            throw StatusError.Gone($"too old resource version: {from} ({e.Compacted})");
        }
        return Stream(initial, from, changes, options, def, ct);
    }

    private static async IAsyncEnumerable<ApiWatchEvent> Stream(List<JsonObject> initial, long from, IAsyncEnumerable<WatchEvent> changes,
        WatchOptions options, ResourceDefinition def, [EnumeratorCancellation] CancellationToken ct)
    {
        foreach (var obj in initial) yield return new ApiWatchEvent(ApiWatchEvent.Added, obj);
        if (options.SendInitialEvents == true && options.AllowBookmarks)
            yield return new ApiWatchEvent(ApiWatchEvent.Bookmark, BookmarkObject(def, from, initialEventsEnd: true));

        var predicate = options.Predicate;
        await using var e = changes.GetAsyncEnumerator(ct);
        while (true)
        {
            WatchEvent change;
            try
            {
                if (!await e.MoveNextAsync().ConfigureAwait(false)) yield break;
                change = e.Current;
            }
            catch (WatchLaggedException)
            {
                yield break;
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
            yield return Translate(change, predicate) ?? new ApiWatchEvent(ApiWatchEvent.Progress, EmptyObject, change.Revision);
        }
    }

    private static readonly JsonObject EmptyObject = new();

    private static ApiWatchEvent? Translate(WatchEvent change, Func<JsonObject, bool>? predicate)
    {
        // Without a predicate nothing needs the object here: it is decoded only if the consumer reads it.
        if (predicate == null)
        {
            return change.Type == WatchEventType.Delete ? new ApiWatchEvent(ApiWatchEvent.Deleted, change.Previous!.Value, change.Revision)
                : new ApiWatchEvent(change.Previous == null ? ApiWatchEvent.Added : ApiWatchEvent.Modified, change.Current!.Value, change.Revision);
        }
        if (change.Type == WatchEventType.Delete)
        {
            var last = Decode(change.Previous!.Value.Span, change.Revision);
            return predicate(last) ? new ApiWatchEvent(ApiWatchEvent.Deleted, last, change.Revision) : null;
        }
        var current = Decode(change.Current!);
        var matches = predicate(current);
        if (change.Previous == null) return matches ? new ApiWatchEvent(ApiWatchEvent.Added, current, change.Revision) : null;
        var before = Decode(change.Previous);
        var matched = predicate(before);
        return (matched, matches) switch
        {
            (true, true) => new ApiWatchEvent(ApiWatchEvent.Modified, current, change.Revision),
            (false, true) => new ApiWatchEvent(ApiWatchEvent.Added, current, change.Revision),
            // The object left the selection: clients see it deleted, with the new revision.
            (true, false) => new ApiWatchEvent(ApiWatchEvent.Deleted, current, change.Revision),
            _ => null,
        };
    }

    /// <summary>A BOOKMARK event's object: only kind, apiVersion and metadata.resourceVersion.</summary>
    public static JsonObject BookmarkObject(ResourceDefinition def, long revision, bool initialEventsEnd = false)
    {
        var meta = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd) meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        return new JsonObject { ["kind"] = def.Kind, ["apiVersion"] = def.ApiVersion, ["metadata"] = meta };
    }

    /// <summary>The store's newest revision (for bookmarks).</summary>
    public long CurrentRevision => _store.CurrentRevision;
}
