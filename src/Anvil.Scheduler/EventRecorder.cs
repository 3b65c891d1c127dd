using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.Scheduler;

/// <summary>
/// Writes core/v1 Events about pods in the background, as client-go's event broadcaster does: a bounded
/// buffer (events are dropped, with a log line, when it is full), and a repeat of the same reason and
/// message for the same pod bumps the count of the event already written instead of adding one.
/// </summary>
internal sealed class EventRecorder(KubeClient client, string component, ILogger log, TimeProvider time)
{
    private static readonly ResourceRef Events = new("", "v1", "events", true);
    private const int MaxRemembered = 4096;

    private readonly Channel<(JsonObject Pod, string Type, string Reason, string Message)> _pending =
        Channel.CreateBounded<(JsonObject, string, string, string)>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<(string Uid, string Reason, string Message), (string Name, long Count)> _written = new();

    public void Eventf(JsonObject pod, string type, string reason, string message)
    {
        // Event messages are limited to 1024 characters (truncateMessage).
        if (message.Length > 1024) message = message[..1021] + "...";
        if (!_pending.Writer.TryWrite((pod, type, reason, message)))
            log.LogWarning("scheduler event dropped reason={Reason} pod={Pod}", reason, ObjectMeta.Name(pod));
    }

    public Task RunAsync(int workers, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(_ => WorkerAsync(ct)));

    private async Task WorkerAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var (pod, type, reason, message) in _pending.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await WriteAsync(pod, type, reason, message, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is ApiException or HttpRequestException or IOException)
                {
                    log.LogWarning("scheduler event failed reason={Reason} pod={Pod} error={Error}", reason, ObjectMeta.Name(pod), e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task WriteAsync(JsonObject pod, string type, string reason, string message, CancellationToken ct)
    {
        var ns = ObjectMeta.Namespace(pod);
        var now = ObjectMeta.FormatTime(time.GetUtcNow());
        var key = (ObjectMeta.Uid(pod), reason, message);
        (string Name, long Count) seen;
        lock (_written) _written.TryGetValue(key, out seen);
        if (seen.Name != null)
        {
            try
            {
                var patch = new JsonObject { ["count"] = seen.Count + 1, ["lastTimestamp"] = now };
                await client.PatchAsync(Events, ns, seen.Name, patch, ct: ct).ConfigureAwait(false);
                lock (_written) _written[key] = (seen.Name, seen.Count + 1);
                return;
            }
            catch (ApiException e) when (e.IsNotFound)
            {
                // Expired or deleted: write a new one.
            }
        }
        var name = $"{ObjectMeta.Name(pod)}.{(time.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000 + Random.Shared.Next(1_000_000)).ToString("x", CultureInfo.InvariantCulture)}";
        var ev = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["involvedObject"] = new JsonObject
            {
                ["kind"] = "Pod", ["namespace"] = ns, ["name"] = ObjectMeta.Name(pod), ["uid"] = ObjectMeta.Uid(pod),
                ["apiVersion"] = "v1", ["resourceVersion"] = ObjectMeta.ResourceVersion(pod),
            },
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = new JsonObject { ["component"] = component },
            ["firstTimestamp"] = now,
            ["lastTimestamp"] = now,
            ["count"] = 1,
            ["type"] = type,
            ["reportingComponent"] = component,
            ["reportingInstance"] = component,
        };
        await client.CreateAsync(Events, ns, ev, ct).ConfigureAwait(false);
        if (type != "Warning") return; // only failures repeat
        lock (_written)
        {
            if (_written.Count >= MaxRemembered) _written.Clear();
            _written[key] = (name, 1);
        }
    }
}
