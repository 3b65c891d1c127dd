using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.Client.Events;

/// <summary>
/// Records core/v1 Events about objects, as client-go's event recorder does for controllers: an event
/// named <c>&lt;object&gt;.&lt;hex unix nanos&gt;</c> in the object's namespace with source.component
/// set; a repeat of the same (object, type, reason, message) patches the existing event's count and
/// lastTimestamp instead of creating another. <see cref="Event"/> does not block: writes happen in the
/// background, in order for each object, and failures are only logged (events are best effort). As client-go's
/// broadcaster, at most <see cref="QueueLimit"/> events wait; more are dropped with a log line.
/// </summary>
public sealed class EventRecorder
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    private const int CacheLimit = 4096;
    private static readonly ResourceRef EventsRef = new("", "v1", "events", true);

    private readonly KubeClient _client;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Dictionary<string, Seen> _seen = new();
    private Task[]? _lanes;
    private int _queued;
    private long _dropped;
    private long _lastNanos;

    private sealed record Seen(string Namespace, string Name, int Count, string FirstTimestamp);

    /// <param name="component">source.component, e.g. "replicaset-controller".</param>
    public EventRecorder(KubeClient client, string component, ILogger log, TimeProvider? time = null)
    {
        _client = client;
        Component = component;
        _log = log;
        _time = time ?? TimeProvider.System;
    }

    public string Component { get; }

    /// <summary>source.host, as the kubelet names its node in its events; empty for controllers.</summary>
    public string Host { get; init; } = "";

    /// <summary>How many queued events may wait to be written (client-go's maxQueuedEvents).</summary>
    public int QueueLimit { get; init; } = 1000;

    /// <summary>How many events are written at once; those about one object always share a writer, so they stay in order.</summary>
    public int Writers { get; init; } = 1;

    /// <summary>Queues an event about <paramref name="involved"/> (which must carry apiVersion and kind).</summary>
    public void Event(JsonObject involved, string type, string reason, string message) => Event(involved, "", type, reason, message);

    /// <summary>
    /// Queues an event about a part of <paramref name="involved"/>: involvedObject.fieldPath, as the kubelet names
    /// a container (<c>spec.containers{app}</c>).
    /// </summary>
    public void Event(JsonObject involved, string fieldPath, string type, string reason, string message)
    {
        if (Interlocked.Increment(ref _queued) > QueueLimit)
        {
            Interlocked.Decrement(ref _queued);
            // One line per burst, not per event: a flood of events (10,000 pods scheduled at once) would flood the log too.
            var dropped = Interlocked.Increment(ref _dropped);
            if ((dropped & (dropped - 1)) == 0)
                _log.LogWarning("event dropped, queue full ({Dropped} so far) component={Component} reason={Reason} object={Name}", dropped, Component, reason, ObjectMeta.Name(involved));
            return;
        }
        var reference = Reference(involved);
        if (fieldPath.Length > 0) reference["fieldPath"] = fieldPath;
        lock (_gate)
        {
            _lanes ??= Enumerable.Repeat(Task.CompletedTask, Math.Max(1, Writers)).ToArray();
            var lane = (int)((uint)string.GetHashCode((string?)reference["uid"] ?? (string?)reference["name"]) % (uint)_lanes.Length);
            _lanes[lane] = _lanes[lane].ContinueWith(async _ =>
            {
                try { await WriteAsync(reference, type, reason, message, CancellationToken.None).ConfigureAwait(false); }
                finally { Interlocked.Decrement(ref _queued); }
            }, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>Completes once every event queued so far has been written (or failed).</summary>
    public Task FlushAsync()
    {
        lock (_gate) return _lanes == null ? Task.CompletedTask : Task.WhenAll(_lanes);
    }

    /// <summary>Writes one event now (creating, or counting a repeat); returns the stored event.</summary>
    public Task<JsonObject?> RecordAsync(JsonObject involved, string type, string reason, string message, CancellationToken ct = default) =>
        WriteAsync(Reference(involved), type, reason, message, ct);

    /// <summary>Writes an event now, never throwing (failures are logged): for callers that await their events in order.</summary>
    public async Task EventAsync(JsonObject involved, string type, string reason, string message, CancellationToken ct = default)
    {
        try
        {
            await RecordAsync(involved, type, reason, message, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogWarning("events component={Component} reason={Reason} error={Error}", Component, reason, e.Message);
        }
    }

    /// <summary>
    /// <paramref name="obj"/> with apiVersion and kind, which objects from lists (and informers' relists) lack:
    /// events name the object by its kind.
    /// </summary>
    public static JsonObject WithKind(JsonObject obj, string apiVersion, string kind) =>
        obj["kind"] != null ? obj : new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = obj["metadata"]?.DeepClone() };

    /// <summary>The involvedObject of an event (an ObjectReference to the object).</summary>
    public static JsonObject Reference(JsonObject obj)
    {
        var r = new JsonObject
        {
            ["kind"] = (string?)obj["kind"] ?? "",
            ["namespace"] = ObjectMeta.Namespace(obj),
            ["name"] = ObjectMeta.Name(obj),
            ["uid"] = ObjectMeta.Uid(obj),
            ["apiVersion"] = (string?)obj["apiVersion"] ?? "",
            ["resourceVersion"] = ObjectMeta.ResourceVersion(obj),
        };
        foreach (var k in r.Where(p => (string?)p.Value == "").Select(p => p.Key).ToList()) r.Remove(k);
        return r;
    }

    private async Task<JsonObject?> WriteAsync(JsonObject reference, string type, string reason, string message, CancellationToken ct)
    {
        var ns = (string?)reference["namespace"] is { Length: > 0 } n ? n : "default";
        var key = string.Join("\u0000", Component, reference["kind"], ns, reference["name"], reference["uid"], reference["apiVersion"], reference["fieldPath"], type, reason, message);
        var now = _time.GetUtcNow();
        var stamp = ObjectMeta.FormatTime(now);
        Seen? seen;
        lock (_gate) _seen.TryGetValue(key, out seen);
        try
        {
            if (seen != null)
            {
                var count = seen.Count + 1;
                try
                {
                    var patched = await _client.PatchAsync(EventsRef, seen.Namespace, seen.Name,
                        new JsonObject { ["count"] = count, ["lastTimestamp"] = stamp, ["message"] = message }, ct: ct).ConfigureAwait(false);
                    Remember(key, seen with { Count = count });
                    return patched;
                }
                catch (ApiException e) when (e.IsNotFound)
                {
                    // Deleted (or expired) meanwhile: start a new one, as client-go does.
                }
            }
            var ev = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Event",
                ["metadata"] = new JsonObject
                {
                    ["name"] = $"{(string?)reference["name"]}.{UniqueNanos(now).ToString("x", CultureInfo.InvariantCulture)}",
                    ["namespace"] = ns,
                },
                ["involvedObject"] = reference.DeepClone(),
                ["reason"] = reason,
                ["message"] = message,
                ["source"] = Host.Length > 0 ? new JsonObject { ["component"] = Component, ["host"] = Host } : new JsonObject { ["component"] = Component },
                ["firstTimestamp"] = stamp,
                ["lastTimestamp"] = stamp,
                ["count"] = 1,
                ["type"] = type,
                ["eventTime"] = null,
                ["reportingComponent"] = Component,
                ["reportingInstance"] = Host,
            };
            var created = await _client.CreateAsync(EventsRef, ns, ev, ct).ConfigureAwait(false);
            Remember(key, new Seen(ns, ObjectMeta.Name(created), 1, stamp));
            return created;
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or IOException)
        {
            _log.LogWarning("event recorder component={Component} reason={Reason} error={Error}", Component, reason, e.Message);
            return null;
        }
    }

    /// <summary>Unix nanoseconds, strictly increasing so two events of one object never share a name.</summary>
    private long UniqueNanos(DateTimeOffset now)
    {
        var nanos = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        lock (_gate)
        {
            if (nanos <= _lastNanos) nanos = _lastNanos + 1;
            _lastNanos = nanos;
        }
        return nanos;
    }

    private void Remember(string key, Seen seen)
    {
        lock (_gate)
        {
            if (_seen.Count >= CacheLimit && !_seen.ContainsKey(key)) _seen.Clear();
            _seen[key] = seen;
        }
    }
}
