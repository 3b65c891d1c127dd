using System.Globalization;
using Anvil.Bench.Measurement;

namespace Anvil.Bench.ApiServer;

/// <summary>
/// The configmap operations every API load runs, whatever server they meet (in this process or a separate
/// <c>anvil up</c>): warm-up, preload, then create/get/update at 1 and at all clients. Callers time each phase.
/// </summary>
internal static class ConfigMapLoad
{
    /// <summary>Runs one timed phase: (operation, clients, the operation per (client, sequence)).</summary>
    public delegate Task PhaseRunner(string op, int clients, Func<int, int, CancellationToken, Task> action);

    /// <summary>Connects every client and lets the JIT tier up: create, get and update of a fresh object each time.</summary>
    public static Task<OpStats> WarmUpAsync(BenchClient[] clients, string ns, TimeSpan time, CancellationToken ct) =>
        LoadRunner.RunAsync("warm-up", clients.Length, 40 * clients.Length, time, async (c, seq, token) =>
        {
            var name = $"warm-{c:D2}-{seq:D5}";
            var created = await clients[c].SendAsync(HttpMethod.Post, ConfigMaps.CollectionPath(ns), ConfigMaps.Create(name), "application/json", token).ConfigureAwait(false);
            var (uid, rv) = ConfigMaps.Identity(created);
            await clients[c].GetAsync(ConfigMaps.ObjectPath(ns, name), token).ConfigureAwait(false);
            await clients[c].SendAsync(HttpMethod.Put, ConfigMaps.ObjectPath(ns, name), ConfigMaps.Update(name, ns, uid, rv, "1"), "application/json", token).ConfigureAwait(false);
        }, ct);

    /// <summary>Creates <paramref name="objects"/> configmaps named <see cref="ConfigMaps.PreloadName"/> from all clients.</summary>
    public static Task<OpStats> PreloadAsync(BenchClient[] clients, string ns, int objects, TimeSpan time, CancellationToken ct)
    {
        var next = -1;
        return LoadRunner.RunAsync("preload create", clients.Length, objects, time, async (c, _, token) =>
        {
            var i = Interlocked.Increment(ref next);
            await clients[c].SendAsync(HttpMethod.Post, ConfigMaps.CollectionPath(ns), ConfigMaps.Create(ConfigMaps.PreloadName(i)), "application/json", token).ConfigureAwait(false);
        }, ct);
    }

    /// <summary>
    /// create (new objects in <paramref name="writeNs"/>, own names per client), get (random preloaded objects in
    /// <paramref name="readNs"/>) and update (PUT of the client's own objects with their last resourceVersion), at
    /// 1 client and at all of them.
    /// </summary>
    public static async Task RunOpsAsync(BenchClient[] clients, string writeNs, string readNs, int preloaded, PhaseRunner phase)
    {
        var own = new List<OwnObject>[clients.Length];
        foreach (var n in new[] { 1, clients.Length })
        {
            for (var c = 0; c < own.Length; c++) own[c] = [];
            await phase("create", n, async (c, seq, token) =>
            {
                var name = $"c{n}-{c:D2}-{seq:D6}";
                var body = await clients[c].SendAsync(HttpMethod.Post, ConfigMaps.CollectionPath(writeNs), ConfigMaps.Create(name), "application/json", token).ConfigureAwait(false);
                if (own[c].Count < 64)
                {
                    var (uid, rv) = ConfigMaps.Identity(body);
                    own[c].Add(new OwnObject(name, uid, rv));
                }
            }).ConfigureAwait(false);
            await phase("get", n, (c, _, token) =>
                clients[c].GetAsync(ConfigMaps.ObjectPath(readNs, ConfigMaps.PreloadName(Random.Shared.Next(preloaded))), token)).ConfigureAwait(false);
            await phase("update", n, async (c, seq, token) =>
            {
                var mine = own[c];
                if (mine.Count == 0) throw new InvalidOperationException($"client {c} created no objects to update");
                var obj = mine[seq % mine.Count];
                var body = ConfigMaps.Update(obj.Name, writeNs, obj.Uid, obj.ResourceVersion, seq.ToString(CultureInfo.InvariantCulture));
                var answer = await clients[c].SendAsync(HttpMethod.Put, ConfigMaps.ObjectPath(writeNs, obj.Name), body, "application/json", token).ConfigureAwait(false);
                obj.ResourceVersion = ConfigMaps.Identity(answer).ResourceVersion;
            }).ConfigureAwait(false);
        }
    }
}
