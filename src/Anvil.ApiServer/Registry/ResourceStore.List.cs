using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Storage;

namespace Anvil.ApiServer.Registry;

public sealed partial class ResourceStore
{
    private const string ContinueExpiredMessage =
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

    /// <summary>Lists objects in a namespace ("" = all) with selectors, paging and resourceVersion semantics.</summary>
    public async Task<ListResult> ListAsync(ResourceDefinition def, string ns, ListOptions options, CancellationToken ct)
    {
        var (_, decoded, revision, token) = await RangeListAsync(def, ns, options, decode: true, ct).ConfigureAwait(false);
        return new ListResult(decoded!, revision, token, null);
    }

    /// <summary>
    /// The same list as <see cref="ListAsync"/> as stored values, not parsed (each one's resourceVersion is its
    /// <see cref="KeyValue.ModRevision"/>): for writing a list out without building objects. Only without a predicate.
    /// </summary>
    public async Task<(IReadOnlyList<KeyValue> Items, long ResourceVersion, string Continue)> ListStoredAsync(ResourceDefinition def, string ns, ListOptions options, CancellationToken ct)
    {
        if (options.Predicate != null) throw new ArgumentException("a stored list cannot apply a predicate", nameof(options));
        var (stored, _, revision, token) = await RangeListAsync(def, ns, options, decode: false, ct).ConfigureAwait(false);
        return (stored, revision, token);
    }

    private async Task<(List<KeyValue> Stored, List<JsonObject>? Decoded, long Revision, string Continue)> RangeListAsync(
        ResourceDefinition def, string ns, ListOptions options, bool decode, CancellationToken ct)
    {
        var prefix = def.ListPrefix(ns);
        long revision = 0;
        string? startAfter = null;
        if (options.Continue.Length > 0)
        {
            (revision, var startSuffix) = DecodeContinue(options.Continue);
            startAfter = prefix + startSuffix;
            if (revision < _store.CompactedRevision) throw StatusError.ResourceExpired(ContinueExpiredMessage);
        }
        else if (options.ResourceVersion.Length > 0 && options.ResourceVersion != "0")
        {
            if (!long.TryParse(options.ResourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var rv))
                throw StatusError.BadRequest($"Invalid value: \"{options.ResourceVersion}\": a resourceVersion must be a non-negative integer");
            if (options.ResourceVersionMatch == "Exact")
            {
                if (rv < _store.CompactedRevision) throw StatusError.ResourceExpired($"too old resource version: {rv} ({_store.CompactedRevision})");
                revision = rv;
            }
            else if (rv > _store.CurrentRevision)
            {
                throw StatusError.Timeout($"Too large resource version: {rv}, current: {_store.CurrentRevision}");
            }
        }

        var items = new List<KeyValue>();
        var decoded = decode ? new List<JsonObject>() : null;
        var limit = options.Limit > 0 ? options.Limit : 0;
        var more = false;
        string? lastKey = null;
        long readRevision = revision;
        while (true)
        {
            // Read pages until enough items matched the predicate; the page size follows the limit.
            var pageSize = limit > 0 ? Math.Max(limit - items.Count, 64) : 0;
            RangeResult page;
            try
            {
                page = await _store.RangeAsync(prefix, readRevision, startAfter, pageSize, ct).ConfigureAwait(false);
            }
            catch (ArgumentOutOfRangeException)
            {
                throw StatusError.Timeout($"Too large resource version: {readRevision}, current: {_store.CurrentRevision}");
            }
            catch (CompactedException)
            {
                throw options.Continue.Length > 0
                    ? StatusError.ResourceExpired(ContinueExpiredMessage)
                    : StatusError.ResourceExpired($"too old resource version: {revision} ({_store.CompactedRevision})");
            }
            readRevision = page.Revision;
            foreach (var kv in page.Items)
            {
                if (limit > 0 && items.Count >= limit)
                {
                    more = true;
                    break;
                }
                lastKey = kv.Key;
                if (decoded == null)
                {
                    items.Add(kv);
                    continue;
                }
                var obj = Decode(kv);
                if (options.Predicate != null && !options.Predicate(obj)) continue;
                items.Add(kv);
                decoded.Add(obj);
            }
            if (more) break;
            if (!page.More || page.Items.Count == 0) break;
            startAfter = page.Items[^1].Key;
            if (limit > 0 && items.Count >= limit)
            {
                more = true;
                break;
            }
        }
        var token = more && lastKey != null ? EncodeContinue(readRevision, lastKey[prefix.Length..]) : "";
        return (items, decoded, readRevision, token);
    }

    private static string EncodeContinue(long revision, string startAfterSuffix)
    {
        var json = JsonSerializer.Serialize(new { v = "meta.k8s.io/v1", rv = revision, start = startAfterSuffix });
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static (long Revision, string StartAfterSuffix) DecodeContinue(string token)
    {
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            var node = JsonNode.Parse(Convert.FromBase64String(b64));
            var rv = node?["rv"]?.GetValue<long>() ?? 0;
            var start = node?["start"]?.GetValue<string>() ?? "";
            if (rv <= 0 || (string?)node?["v"] != "meta.k8s.io/v1") throw new FormatException();
            return (rv, start);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            throw StatusError.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }
    }
}
