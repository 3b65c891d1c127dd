using System.Globalization;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Apply;

/// <summary>
/// The decoded <c>metadata.managedFields</c> of an object: one entry per manager identifier.
/// <see cref="Decode"/> and <see cref="Encode"/> convert from and to the API form with upstream's rules
/// (validation messages, entry order: Apply before Update, then by time, manager, apiVersion, subresource).
/// </summary>
public sealed class ManagedFields
{
    private readonly Dictionary<string, ManagedFieldsEntry> _entries = new(StringComparer.Ordinal);

    public IReadOnlyCollection<ManagedFieldsEntry> Entries => _entries.Values;
    public int Count => _entries.Count;

    public ManagedFieldsEntry? Get(string identifier) => _entries.GetValueOrDefault(identifier);

    public void Set(ManagedFieldsEntry entry) => _entries[entry.Identifier] = entry;

    internal void SetAt(string identifier, ManagedFieldsEntry entry) => _entries[identifier] = entry;

    public bool Remove(string identifier) => _entries.Remove(identifier);

    internal IEnumerable<KeyValuePair<string, ManagedFieldsEntry>> Pairs => _entries;

    /// <summary>Decodes a <c>managedFields</c> array (null or absent gives an empty set); throws <see cref="FormatException"/> with upstream's message.</summary>
    public static ManagedFields Decode(JsonNode? managedFields)
    {
        var result = new ManagedFields();
        if (managedFields == null) return result;
        if (managedFields is not JsonArray list) throw new FormatException("managedFields must be a list");
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject e) throw new FormatException($"managed fields entry {i} must be an object");
            var operation = Str(e, "operation");
            if (operation is not (ManagedFieldsEntry.OperationApply or ManagedFieldsEntry.OperationUpdate))
                throw new FormatException("operation must be `Apply` or `Update`");
            var apiVersion = Str(e, "apiVersion");
            if (apiVersion.Length == 0) throw new FormatException("apiVersion must not be empty");
            var fieldsType = Str(e, "fieldsType");
            if (fieldsType.Length == 0) throw new FormatException($"missing fieldsType in managed fields entry {i}");
            if (fieldsType != "FieldsV1") throw new FormatException($"invalid fieldsType {JsonValues.GoQuote(fieldsType)} in managed fields entry {i}");
            DateTimeOffset? time = null;
            if (e["time"] is JsonValue t && t.TryGetValue<string>(out var ts))
            {
                if (!DateTimeOffset.TryParse(ts, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                    throw new FormatException($"invalid time {JsonValues.GoQuote(ts)} in managed fields entry {i}");
                time = parsed.ToUniversalTime();
            }
            FieldSet fields;
            try
            {
                fields = FieldSet.FromFieldsV1(e["fieldsV1"]);
            }
            catch (FormatException ex)
            {
                throw new FormatException($"error decoding set: {ex.Message}", ex);
            }
            var sub = Str(e, "subresource");
            var entry = new ManagedFieldsEntry(Str(e, "manager"), operation, apiVersion, time, sub.Length == 0 ? null : sub, fields);
            result._entries[entry.Identifier] = entry;
        }
        return result;
    }

    /// <summary>Decodes, or returns an empty set when the value cannot be decoded.</summary>
    public static ManagedFields DecodeOrEmpty(JsonNode? managedFields)
    {
        try
        {
            return Decode(managedFields);
        }
        catch (FormatException)
        {
            return new ManagedFields();
        }
    }

    private static string Str(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    /// <summary>The API form, sorted as upstream sorts it; null when there are no entries (the field is then omitted).</summary>
    public JsonArray? Encode()
    {
        if (_entries.Count == 0) return null;
        var sorted = _entries.Values.ToList();
        sorted.Sort(CompareEntries);
        var array = new JsonArray();
        foreach (var e in sorted)
        {
            var o = new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
            };
            if (e.Time is { } time) o["time"] = FormatTime(time);
            o["fieldsType"] = "FieldsV1";
            o["fieldsV1"] = e.Fields.ToFieldsV1();
            if (!string.IsNullOrEmpty(e.Subresource)) o["subresource"] = e.Subresource;
            array.Add(o);
        }
        return array;
    }

    /// <summary>metav1.Time's JSON form: RFC 3339 in UTC, whole seconds.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture);

    private static long Seconds(DateTimeOffset? t) => t?.ToUnixTimeSeconds() ?? 0;

    private static int CompareEntries(ManagedFieldsEntry p, ManagedFieldsEntry q)
    {
        var c = string.CompareOrdinal(p.Operation, q.Operation);
        if (c != 0) return c;
        c = Seconds(p.Time).CompareTo(Seconds(q.Time));
        if (c != 0) return c;
        c = string.CompareOrdinal(p.Manager, q.Manager);
        if (c != 0) return c;
        c = string.CompareOrdinal(p.ApiVersion, q.ApiVersion);
        if (c != 0) return c;
        return string.CompareOrdinal(p.Subresource ?? "", q.Subresource ?? "");
    }
}
