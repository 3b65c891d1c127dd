using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Anvil.Bench.Measurement;

namespace Anvil.Bench.ApiServer;

/// <summary>
/// Watch delivery delay: a watch is opened on an empty namespace, another client creates objects at a fixed
/// rate, each carrying its send time (Stopwatch ticks; sender and receiver share this process' clock).
/// Delay = receipt of the event line − send time; also receipt − return of the create call (the commit is
/// between the two; negative when the event beats the response).
/// </summary>
internal sealed class WatchProbe(BenchClient watcher, BenchClient writer, string ns, int rate, TimeSpan duration)
{
    public int Sent { get; private set; }
    public int Received { get; private set; }
    public OpStats SendToReceive { get; private set; } = null!;
    public OpStats ReturnToReceive { get; private set; } = null!;
    public string? Error { get; private set; }

    /// <summary>Time from the first create to the watch response headers (sent with the first event).</summary>
    public double HeadersAfterFirstCreateMs => HeadersAt > 0 ? Ms(HeadersAt - _firstSent) : double.NaN;

    private long HeadersAt { get; set; }
    private long _firstSent;

    public async Task RunAsync(CancellationToken ct)
    {
        var count = Math.Max(1, (int)(rate * duration.TotalSeconds));
        var list = await writer.GetAsync(ConfigMaps.CollectionPath(ns) + "?limit=1", ct).ConfigureAwait(false);
        string rv;
        using (var doc = JsonDocument.Parse(list)) rv = doc.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? "0";

        var received = new ConcurrentDictionary<string, (long Received, long Sent)>();
        var returned = new ConcurrentDictionary<string, long>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var request = watcher.NewRequest(HttpMethod.Get,
            ConfigMaps.CollectionPath(ns) + $"?watch=true&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion={rv}");
        request.Headers.TryAddWithoutValidation("Accept", "application/json");
        // The server sends the response headers with the first event (not when the watch starts), so the
        // request cannot be awaited before creating; resourceVersion makes sure no event is missed meanwhile.
        var opened = watcher.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            using var response = await opened.ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw new HttpRequestException($"watch: HTTP {(int)response.StatusCode}");
            HeadersAt = Stopwatch.GetTimestamp();
            var stream = await response.Content.ReadAsStreamAsync(stop.Token).ConfigureAwait(false);
            using var lines = new StreamReader(stream, Encoding.UTF8);
            while (true)
            {
                var line = await lines.ReadLineAsync(stop.Token).ConfigureAwait(false);
                var at = Stopwatch.GetTimestamp();
                if (line == null) return;
                if (line.Length == 0) continue;
                using var doc = JsonDocument.Parse(line);
                var type = doc.RootElement.GetProperty("type").GetString();
                if (type != "ADDED") continue;
                var obj = doc.RootElement.GetProperty("object");
                var name = obj.GetProperty("metadata").GetProperty("name").GetString() ?? "";
                var stamp = long.Parse(obj.GetProperty("data").GetProperty("stamp").GetString() ?? "0", CultureInfo.InvariantCulture);
                received[name] = (at, stamp);
                if (received.Count >= count) all.TrySetResult();
            }
        }, CancellationToken.None);
        // Give the server time to register the watch so that events take the live path, not the replay.
        await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        _firstSent = Stopwatch.GetTimestamp();

        var interval = Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var due = start + i * interval;
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, ct).ConfigureAwait(false);
                var name = $"w-{i:D5}";
                var sent = Stopwatch.GetTimestamp();
                await writer.SendAsync(HttpMethod.Post, ConfigMaps.CollectionPath(ns),
                    ConfigMaps.Create(name, sent.ToString(CultureInfo.InvariantCulture)), "application/json", ct).ConfigureAwait(false);
                returned[name] = Stopwatch.GetTimestamp();
                Sent++;
            }
            // Bounded wait for the stragglers.
            await Task.WhenAny(all.Task, reader, Task.Delay(TimeSpan.FromSeconds(10), ct)).ConfigureAwait(false);
            if (reader.IsFaulted) Error = reader.Exception?.GetBaseException().Message;
            else if (!all.Task.IsCompleted && HeadersAt == 0) Error = "the watch response never started";
        }
        finally
        {
            stop.Cancel();
            try { await reader.ConfigureAwait(false); } catch (Exception) { }
        }

        Received = received.Count;
        if (Received < Sent) Error ??= $"{Sent - Received} of {Sent} events not received within 10 s";
        var fromSend = new List<double>();
        var fromReturn = new List<double>();
        foreach (var (name, (at, sent)) in received)
        {
            fromSend.Add(Ms(at - sent));
            if (returned.TryGetValue(name, out var back)) fromReturn.Add(Ms(at - back));
        }
        SendToReceive = OpStats.From("watch: send -> receive", 1, fromSend, Sent - Received, duration.TotalSeconds, Error);
        ReturnToReceive = OpStats.From("watch: create returned -> receive", 1, fromReturn, 0, duration.TotalSeconds, null);
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
