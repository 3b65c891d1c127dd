using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Quantities;
using Anvil.Machinery.Selectors;

namespace Anvil.Machinery.Tables;

/// <summary>The formatting helpers printers.go shares between kinds.</summary>
public static class TableFormat
{
    public const string NameDescription =
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

    public const string CreationTimestampDescription =
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    /// <summary>duration.HumanDuration: <c>45s</c>, <c>2m30s</c>, <c>10m</c>, <c>3h20m</c>, <c>26h</c>, <c>2d5h</c>, <c>10d</c>, <c>3y45d</c>.</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds; // truncates toward zero like int(d.Seconds())
        if (seconds < -1) return "<invalid>";
        if (seconds < 0) return "0s";
        if (seconds < 60 * 2) return seconds.ToString(CultureInfo.InvariantCulture) + "s";
        var minutes = seconds / 60;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }
        if (minutes < 60 * 3) return $"{minutes}m";
        var hours = seconds / 3600;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }
        if (hours < 48) return $"{hours}h";
        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : $"{hours / 24}d{h}h";
        }
        if (hours < 24 * 365 * 2) return $"{hours / 24}d";
        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{dy}d";
        }
        return $"{hours / 24 / 365}y";
    }

    /// <summary>translateTimestampSince: the age of a timestamp, or <c>&lt;unknown&gt;</c> when it is missing.</summary>
    public static string Since(DateTimeOffset? timestamp, DateTimeOffset now) =>
        timestamp is { } t ? HumanDuration(now - t) : "<unknown>";

    /// <summary>The AGE cell of an object.</summary>
    public static string Age(JsonObject obj, DateTimeOffset now) => Since(Json.Time(obj, "metadata", "creationTimestamp"), now);

    /// <summary>labels.FormatLabels: <c>a=b,c=d</c> sorted by key, <c>&lt;none&gt;</c> when empty.</summary>
    public static string FormatLabels(JsonObject? labels)
    {
        if (labels == null || labels.Count == 0) return "<none>";
        return string.Join(",", labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + Json.Str(kv.Value)));
    }

    /// <summary>metav1.FormatLabelSelector: the selector string, <c>&lt;none&gt;</c> when it selects everything or nothing, <c>&lt;error&gt;</c> when invalid.</summary>
    public static string FormatLabelSelector(JsonObject? selector)
    {
        try
        {
            var s = LabelSelector.FromLabelSelectorJson(selector).ToString();
            return s.Length == 0 ? "<none>" : s;
        }
        catch (StatusError)
        {
            return "<error>";
        }
    }

    /// <summary>A quantity's canonical string (Quantity.String()); unparsable input is shown as stored, missing as "0".</summary>
    public static string FormatQuantity(JsonNode? node)
    {
        var s = Json.Str(node);
        if (s.Length == 0) return node is JsonValue ? node.ToJsonString() : "0";
        return Quantities.Quantity.TryParse(s, out var q) ? q.ToString() : s;
    }

    /// <summary>layoutContainerCells: container names and images, each comma-joined.</summary>
    internal static (string Names, string Images) Containers(JsonNode? podSpec)
    {
        var containers = Json.Objects(podSpec, "containers").ToList();
        return (string.Join(",", containers.Select(c => Json.Str(c, "name"))), string.Join(",", containers.Select(c => Json.Str(c, "image"))));
    }
}
