using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

internal static partial class BuiltInPrinters
{
    private static TableColumn[] EventColumns =>
    [
        Col("Last Seen", "string", "The time at which the most recent occurrence of this event was recorded."),
        Col("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future"),
        Col("Reason", "string", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
        Col("Object", "string", "The object that this event is about."),
        Col("Subobject", "string", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.", 1),
        Col("Source", "string", "The component reporting this event. Should be a short machine understandable string.", 1),
        Col("Message", "string", "A human-readable description of the status of this operation."),
        Col("First Seen", "string", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
        Col("Count", "string", "The number of times this event has occurred.", 1),
        new("Name", "string", "name", TableFormat.NameDescription, 1),
    ];

    private static readonly ITablePrinter Event = Printer(EventColumns, (o, now) => EventCells(o, now, false));

    // events.k8s.io/v1 Events are the same stored objects under other field names; print them alike.
    private static readonly ITablePrinter EventsV1Event = Printer(EventColumns, (o, now) => EventCells(o, now, true));

    private static object?[] EventCells(JsonObject o, DateTimeOffset now, bool eventsV1)
    {
        string F(string core, string v1) => eventsV1 && Json.Has(o, v1) ? v1 : core;
        var involved = Json.Obj(o, F("involvedObject", "regarding"));
        var firstTimestamp = Json.Time(o, F("firstTimestamp", "deprecatedFirstTimestamp"));
        var first = firstTimestamp != null ? TableFormat.Since(firstTimestamp, now) : TableFormat.Since(Json.Time(o, "eventTime"), now);
        var lastTimestamp = Json.Time(o, F("lastTimestamp", "deprecatedLastTimestamp"));
        var last = lastTimestamp != null ? TableFormat.Since(lastTimestamp, now) : first;
        var count = Json.Int(o, F("count", "deprecatedCount"));
        if (Json.Obj(o, "series") is { } series)
        {
            last = TableFormat.Since(Json.Time(series, "lastObservedTime"), now);
            count = Json.Int(series, "count");
        }
        else if (count == 0)
        {
            count = 1; // singleton events of the new API carry no count
        }

        var kind = Json.Str(involved, "kind").ToLowerInvariant();
        var target = Json.Str(involved, "name") is { Length: > 0 } n ? kind + "/" + n : kind;
        var source = Json.Obj(o, F("source", "deprecatedSource"));
        var component = Json.Str(source, "component") is { Length: > 0 } c ? c : Json.Str(o, eventsV1 ? "reportingController" : "reportingComponent");
        var host = Json.Str(source, "host") is { Length: > 0 } h ? h : Json.Str(o, "reportingInstance");
        var message = Json.Str(o, F("message", "note")).Trim();
        return [last, Json.Str(o, "type"), Json.Str(o, "reason"), target, Json.Str(involved, "fieldPath"),
                host.Length == 0 ? component : component + ", " + host, message, first, count, Name(o)];
    }
}
