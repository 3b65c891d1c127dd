using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.Events;

/// <summary>
/// Writes core/v1 Events about objects, as client-go's record.EventRecorder does for controllers (without
/// its aggregation: each call is one Event with count 1). Failures are logged, never thrown: events are
/// best effort.
/// </summary>
public sealed class EventRecorder(KubeClient client, string component, TimeProvider time, ILogger log)
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    private static readonly ResourceRef Events = new("", "v1", "events", true);

    private static long _lastNanos;

    /// <summary>Wall-clock Unix nanoseconds, strictly increasing in this process so names never collide.</summary>
    private static long UniqueNanos()
    {
        var now = DateTimeOffset.UtcNow;
        var nanos = (now.ToUnixTimeMilliseconds() * 1_000_000) + (now.Ticks % TimeSpan.TicksPerMillisecond * 100);
        while (true)
        {
            var last = Interlocked.Read(ref _lastNanos);
            var next = Math.Max(nanos, last + 1);
            if (Interlocked.CompareExchange(ref _lastNanos, next, last) == last) return next;
        }
    }

    public async Task EventAsync(JsonObject obj, string type, string reason, string message, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        var ns = ObjectMeta.Namespace(obj);
        if (ns.Length == 0) ns = "default";
        var name = ObjectMeta.Name(obj);
        var stamp = ObjectMeta.FormatTime(now);
        var ev = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject
            {
                // client-go's name: the object's name and the time in Unix nanoseconds, in hex.
                ["name"] = name + "." + UniqueNanos().ToString("x", CultureInfo.InvariantCulture),
                ["namespace"] = ns,
            },
            ["involvedObject"] = new JsonObject
            {
                ["kind"] = (string?)obj["kind"],
                ["namespace"] = ObjectMeta.Namespace(obj).Length > 0 ? ObjectMeta.Namespace(obj) : null,
                ["name"] = name,
                ["uid"] = ObjectMeta.Uid(obj),
                ["apiVersion"] = (string?)obj["apiVersion"],
                ["resourceVersion"] = ObjectMeta.ResourceVersion(obj),
            },
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = new JsonObject { ["component"] = component },
            ["firstTimestamp"] = stamp,
            ["lastTimestamp"] = stamp,
            ["count"] = 1,
            ["type"] = type,
            ["reportingComponent"] = component,
            ["reportingInstance"] = "",
        };
        if (ObjectMeta.Namespace(obj).Length == 0) ((JsonObject)ev["involvedObject"]!).Remove("namespace");
        try
        {
            await client.CreateAsync(Events, ns, ev, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ApiException or HttpRequestException)
        {
            log.LogInformation("component={Component} event={Reason} object={Namespace}/{Name} not recorded: {Error}", component, reason, ns, name, e.Message);
        }
    }
}
