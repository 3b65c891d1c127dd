using System.Diagnostics;
using Anvil.Bench.Measurement;

namespace Anvil.Bench.ApiServer;

/// <summary>Times full lists of a namespace: one request per list, or kubectl get's pages of 500.</summary>
internal sealed class ListProbe(BenchClient client, string ns, int runs, TimeSpan maxTime)
{
    public async Task<ListFigures> RunAsync(string name, string accept, int pageSize, string itemsProperty, CancellationToken ct)
    {
        // The first list warms up code paths; it also tells how many items and bytes one list has.
        var (firstBytes, items) = await ListAllAsync(accept, pageSize, itemsProperty, count: true, ct).ConfigureAwait(false);
        var latencies = new List<double>();
        var errors = 0;
        string? error = null;
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < runs && Stopwatch.GetElapsedTime(start) < maxTime; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                await ListAllAsync(accept, pageSize, itemsProperty, count: false, ct).ConfigureAwait(false);
                latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            catch (HttpRequestException e)
            {
                errors++;
                error ??= e.Message;
            }
        }
        return new ListFigures(name, OpStats.From(name, 1, latencies, errors, Stopwatch.GetElapsedTime(start).TotalSeconds, error), firstBytes, items, error);
    }

    private async Task<(long Bytes, int Items)> ListAllAsync(string accept, int pageSize, string itemsProperty, bool count, CancellationToken ct)
    {
        long bytes = 0;
        var items = 0;
        var token = "";
        for (var page = 0; page < 100_000; page++)
        {
            var query = pageSize > 0 ? $"?limit={pageSize}" + (token.Length > 0 ? "&continue=" + Uri.EscapeDataString(token) : "") : "";
            var body = await client.GetAsync(ConfigMaps.CollectionPath(ns) + query, ct, accept).ConfigureAwait(false);
            bytes += body.Length;
            if (count) items += ConfigMaps.CountItems(body, itemsProperty);
            if (pageSize == 0) break;
            token = ConfigMaps.ListContinue(body);
            if (token.Length == 0) break;
        }
        return (bytes, items);
    }
}
