using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Anvil.Bench.Measurement;

namespace Anvil.Bench.ApiServer;

/// <summary>Prints the figures as tables, the ratios to the baseline and the targets; and the same as JSON.</summary>
internal static class Report
{
    private const double RatioTarget = 0.30;
    private const double CreateP99TargetMs = 10;
    private const double ListTargetMs = 300;
    private const double WatchP99TargetMs = 50;
    private const int ListTargetObjects = 10_000;

    public static void Print(BenchResults r, TextWriter o)
    {
        var opt = r.Options;
        o.WriteLine();
        o.WriteLine("== Anvil API server benchmark ==");
        o.WriteLine($"machine: {Environment.ProcessorCount} CPUs, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, " +
            $"{(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC; server in this process (shares the CPUs with the clients)");
        o.WriteLine($"load average (1/5/15 min) at start: {r.LoadAverageStart}, at end: {r.LoadAverageEnd} (the machine is shared; figures move with it)");
        o.WriteLine($"clients: {r.Protocol} over TLS on 127.0.0.1, client certificate CN=admin O=system:masters, one connection per client");
        o.WriteLine($"objects: {opt.Objects} configmaps of {r.ObjectBytes} bytes (as returned by GET); timed phases: {opt.PhaseTime.TotalSeconds:0} s or {opt.MaxOpsPerPhase} ops; server start {r.ServerStartSeconds:0.0} s; run {r.TotalSeconds:0} s");
        o.WriteLine();
        o.WriteLine($"{"operation",-34} {"clients",7} {"ops",7} {"errors",6} {"ops/s",9} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {">=0.5s",6} {"cpu ms/op",9} {"KB/op",6} {"gc0/1/2",11} {"pause ms",8} {"steal %",7}");
        if (r.Preload != null) Row(o, "API preload create", r.Preload);
        foreach (var op in new[] { "create", "get", "update", "create (HTTP/1.1)", "get (HTTP/1.1)" })
            foreach (var s in r.Ops.Where(x => x.Name == op)) Row(o, "API " + op, s);
        if (r.Layers is { } layers)
        {
            foreach (var s in layers.Creates) Row(o, s.Name, s);
            if (layers.Authentication is { } auth) Row(o, "authn: client cert check", auth);
        }
        if (r.Baseline is { } b)
        {
            if (b.Insert1Before != null) Row(o, "raw SQLite insert, before API phases", b.Insert1Before);
            Row(o, "raw SQLite insert (1 row/txn)", b.Insert1);
            Row(o, "raw SQLite insert (1 row/txn)", b.InsertN);
            Row(o, "raw SQLite get by key", b.Read1);
            Row(o, "raw SQLite get by key", b.ReadN);
        }
        if (r.Baseline is { BusyWaitMs: >= 0 } bw)
        {
            o.WriteLine($"  raw SQLite: a writer blocked by another's {SqliteBaseline.BusyHoldMs} ms transaction waited {bw.BusyWaitMs:0} ms (busy_timeout handler);");
            o.WriteLine($"  SQLite library: {Anvil.Storage.Sqlite.SqliteNative.Library}");
            o.WriteLine($"  sqlite3_sleep(1) slept {bw.SleepOneMs} ms{(bw.SleepOneMs >= 1000 ? " (this SQLite build has no usleep: every busy/lock retry sleeps a whole second)" : "")}");
        }
        if (r.Separate is { } sep)
        {
            o.WriteLine($"the same against `anvil up --no-node` as its own process (clients here: KB/op and collections are the clients' only; cpu ms/op is both processes')");
            if (sep.Preload != null) Row(o, "anvil up: preload create", sep.Preload);
            foreach (var op in new[] { "create", "get", "update" })
                foreach (var s in sep.Ops.Where(x => x.Name == op)) Row(o, "anvil up: " + op, s);
            o.WriteLine($"  anvil up's own CPU per operation (ms): {string.Join(", ", sep.ServerCpuMsPerOp.Select(kv => $"{kv.Key.Item1} at {kv.Key.Item2} {F(kv.Value, "0.000")}"))}");
        }
        var withErrors = r.Ops.Concat(r.Preload is null ? [] : [r.Preload]).Concat(r.Layers?.Creates ?? []);
        foreach (var s in withErrors.Where(s => s.FirstError != null))
            o.WriteLine($"  first error of {s.Name} at {s.Clients}: {s.FirstError}");

        if (r.Lists.Count > 0)
        {
            o.WriteLine();
            o.WriteLine($"{"list of a namespace",-38} {"items",6} {"runs",5} {"median ms",10} {"p99 ms",8} {"MB",6}");
            foreach (var l in r.Lists)
            {
                o.WriteLine($"{l.Name,-38} {l.Items,6} {l.Stats.Ops,5} {F(l.Stats.P50Ms),10} {F(l.Stats.P99Ms),8} {l.Bytes / 1048576.0,6:0.0}");
                if (l.Error != null) o.WriteLine($"  error: {l.Error}");
            }
            foreach (var s in r.Layers?.Lists ?? [])
                o.WriteLine($"  {s.Name,-36} {"",6} {s.Ops,5} {F(s.P50Ms),10} {F(s.P99Ms),8}");
            o.WriteLine("  (p99 of this few runs is their maximum)");
        }

        if (r.Watch is { SendToReceive: not null } w)
        {
            o.WriteLine();
            o.WriteLine($"watch delivery ({w.Received}/{w.Sent} events at {opt.WatchRate}/s)  {"p50 ms",8} {"p99 ms",8} {"max ms",8}");
            o.WriteLine($"  {"create sent -> event received",-38} {F(w.SendToReceive.P50Ms),8} {F(w.SendToReceive.P99Ms),8} {F(w.SendToReceive.MaxMs),8}");
            o.WriteLine($"  {"create returned -> event received",-38} {F(w.ReturnToReceive.P50Ms),8} {F(w.ReturnToReceive.P99Ms),8} {F(w.ReturnToReceive.MaxMs),8}");
            if (w.Error != null) o.WriteLine($"  error: {w.Error}");
        }

        o.WriteLine();
        o.WriteLine("memory");
        if (r.MemoryIdle is { } idle) o.WriteLine($"  bench process after server start (idle)   RSS {ProcessMemory.Mb(idle.RssBytes),9}   GC heap {ProcessMemory.Mb(idle.GcHeapBytes)}");
        if (r.MemoryAfter is { } after) o.WriteLine($"  bench process after the API phases        RSS {ProcessMemory.Mb(after.RssBytes),9}   GC heap {ProcessMemory.Mb(after.GcHeapBytes)}   peak RSS {ProcessMemory.Mb(after.PeakRssBytes)}");
        if (r.Separate is { RssIdleBytes: > 0 } su) o.WriteLine($"  `anvil up --no-node` under load: RSS 5 s after ready {ProcessMemory.Mb(su.RssIdleBytes)}, after its phases {ProcessMemory.Mb(su.RssAfterBytes)}");
        if (r.AnvilUp is { } up) o.WriteLine($"  separate `anvil up`, 5 s after ready      RSS {ProcessMemory.Mb(up.RssBytes),9}   (ready after {up.StartSeconds:0.0} s){(up.Error != null ? "  error: " + up.Error : "")}");

        o.WriteLine();
        o.WriteLine("ratios to the baseline and targets (informational)");
        foreach (var t in Targets(r))
            o.WriteLine($"  {t.Name,-62} {t.Value,9} {t.Goal,-14} {t.Verdict}");
        if (r.Failures.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("failed phases:");
            foreach (var f in r.Failures) o.WriteLine("  " + f);
        }
    }


    private static IEnumerable<TargetLine> Targets(BenchResults r)
    {
        var n = r.Options.Concurrency;
        var b = r.Baseline;
        // Against one writer thread, and against the better of 1 and N raw writers (N threads fighting over
        // SQLite's write lock are usually slower than one).
        var bestRaw = b == null ? null : new[] { b.BestInsert1, b.InsertN }.Where(x => x != null).MaxBy(x => x.Throughput);
        foreach (var (clients, raw, label) in new[] { (1, b?.BestInsert1, "1 thread, better run"), (n, bestRaw, bestRaw == b?.InsertN ? $"{n} threads" : "1 thread, better run") })
        {
            var api = r.Op("create", clients);
            var ratio = api != null && raw is { Throughput: > 0 } ? api.Throughput / raw.Throughput : double.NaN;
            yield return new TargetLine($"API create/s {clients} client(s) ÷ raw insert/s {label}", F(ratio, "0.00"), $">= {RatioTarget:0.00}", Verdict(ratio, v => v >= RatioTarget), ratio);
        }
        foreach (var (clients, raw) in new[] { (1, b?.Read1), (n, b?.ReadN) })
        {
            var api = r.Op("get", clients);
            var ratio = api != null && raw is { Throughput: > 0 } ? api.Throughput / raw.Throughput : double.NaN;
            yield return new TargetLine($"API get/s {clients} client(s) ÷ raw get/s {clients} thread(s)", F(ratio, "0.000"), "(no target)", "", ratio);
        }
        var p99 = r.Op("create", n)?.P99Ms ?? double.NaN;
        yield return new TargetLine($"API create p99 at {n} clients (ms)", F(p99), $"<= {CreateP99TargetMs:0}", Verdict(p99, v => v <= CreateP99TargetMs), p99);
        var separateP99 = r.Separate?.Op("create", n)?.P99Ms ?? double.NaN;
        yield return new TargetLine($"API create p99 at {n} clients, anvil up as its own process (ms)", F(separateP99), $"<= {CreateP99TargetMs:0}", Verdict(separateP99, v => v <= CreateP99TargetMs), separateP99);
        foreach (var l in r.Lists.Take(2))
        {
            var full = l.Items >= ListTargetObjects;
            yield return new TargetLine($"list of {l.Items}, {l.Name.Replace(", one request", "")} median (ms)", F(l.Stats.P50Ms), $"<= {ListTargetMs:0}",
                full ? Verdict(l.Stats.P50Ms, v => v <= ListTargetMs) : $"n/a (target is for {ListTargetObjects})", l.Stats.P50Ms);
        }
        var watch = r.Watch?.SendToReceive?.P99Ms ?? double.NaN;
        yield return new TargetLine("watch delivery p99, sent -> received (ms)", F(watch), $"<= {WatchP99TargetMs:0}", Verdict(watch, v => v <= WatchP99TargetMs), watch);
    }

    private static string Verdict(double value, Func<double, bool> pass) => double.IsFinite(value) ? pass(value) ? "PASS" : "MISS" : "n/a";

    private static void Row(TextWriter o, string name, OpStats s) =>
        o.WriteLine($"{name,-34} {s.Clients,7} {s.Ops,7} {s.Errors,6} {F(s.Throughput, "0.0"),9} {F(s.P50Ms),8} {F(s.P99Ms),8} {F(s.MaxMs),8} {s.Stalls,6} {F(s.CpuMsPerOp, "0.000"),9} {F(s.AllocKbPerOp, "0.0"),6} {(s.Gc is { } g ? $"{g.Gen0}/{g.Gen1}/{g.Gen2}" : "n/a"),11} {(s.Gc is { } p ? F(p.PauseMs, "0.0") : "n/a"),8} {F(s.StealPercent, "0.0"),7}");

    private static string F(double v, string format = "0.00") =>
        double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    public static JsonObject ToJson(BenchResults r)
    {
        var opt = r.Options;
        var json = new JsonObject
        {
            ["benchmark"] = "apiserver",
            ["machine"] = new JsonObject
            {
                ["cpus"] = Environment.ProcessorCount,
                ["os"] = RuntimeInformation.OSDescription,
                ["dotnet"] = Environment.Version.ToString(),
                ["serverGC"] = System.Runtime.GCSettings.IsServerGC,
            },
            ["options"] = new JsonObject
            {
                ["objects"] = opt.Objects,
                ["phaseSeconds"] = opt.PhaseTime.TotalSeconds,
                ["quick"] = opt.Quick,
                ["concurrency"] = opt.Concurrency,
                ["protocol"] = r.Protocol,
            },
            ["objectBytes"] = r.ObjectBytes,
            ["serverStartSeconds"] = OpStats.Round(r.ServerStartSeconds),
            ["totalSeconds"] = OpStats.Round(r.TotalSeconds),
            ["loadAverageStart"] = r.LoadAverageStart,
            ["loadAverageEnd"] = r.LoadAverageEnd,
            ["preload"] = r.Preload?.ToJson(),
            ["operations"] = new JsonArray(r.Ops.Select(s => (JsonNode)s.ToJson()).ToArray()),
            ["lists"] = new JsonArray(r.Lists.Select(l => (JsonNode)new JsonObject
            {
                ["name"] = l.Name,
                ["items"] = l.Items,
                ["bytes"] = l.Bytes,
                ["stats"] = l.Stats.ToJson(),
                ["error"] = l.Error,
            }).ToArray()),
            ["layers"] = r.Layers is { } layers ? new JsonObject
            {
                ["creates"] = new JsonArray(layers.Creates.Select(s => (JsonNode)s.ToJson()).ToArray()),
                ["lists"] = new JsonArray(layers.Lists.Select(s => (JsonNode)s.ToJson()).ToArray()),
                ["authentication"] = layers.Authentication?.ToJson(),
            } : null,
            ["watch"] = r.Watch is { SendToReceive: not null } w ? new JsonObject
            {
                ["rate"] = opt.WatchRate,
                ["sent"] = w.Sent,
                ["received"] = w.Received,
                ["sendToReceive"] = w.SendToReceive.ToJson(),
                ["returnToReceive"] = w.ReturnToReceive.ToJson(),
                ["error"] = w.Error,
            } : null,
            ["baseline"] = r.Baseline is { Insert1: not null } b ? new JsonObject
            {
                ["insert1Before"] = b.Insert1Before?.ToJson(),
                ["insert1"] = b.Insert1.ToJson(),
                ["insertN"] = b.InsertN?.ToJson(),
                ["read1"] = b.Read1?.ToJson(),
                ["readN"] = b.ReadN?.ToJson(),
                ["busyWaitMs"] = OpStats.Round(b.BusyWaitMs),
                ["busyHoldMs"] = SqliteBaseline.BusyHoldMs,
                ["sqlite3SleepOneMs"] = b.SleepOneMs,
            } : null,
            ["memory"] = new JsonObject
            {
                ["idleRssBytes"] = r.MemoryIdle?.RssBytes,
                ["idleGcHeapBytes"] = r.MemoryIdle?.GcHeapBytes,
                ["afterRssBytes"] = r.MemoryAfter?.RssBytes,
                ["afterPeakRssBytes"] = r.MemoryAfter?.PeakRssBytes,
                ["afterGcHeapBytes"] = r.MemoryAfter?.GcHeapBytes,
                ["anvilUpRssBytes"] = r.AnvilUp?.RssBytes,
                ["anvilUpError"] = r.AnvilUp?.Error,
                ["separateIdleRssBytes"] = r.Separate?.RssIdleBytes,
                ["separateAfterRssBytes"] = r.Separate?.RssAfterBytes,
            },
            ["separateProcess"] = r.Separate is { } sp ? new JsonObject
            {
                ["preload"] = sp.Preload?.ToJson(),
                ["operations"] = new JsonArray(sp.Ops.Select(s => (JsonNode)s.ToJson()).ToArray()),
                ["serverCpuMsPerOp"] = new JsonObject(sp.ServerCpuMsPerOp.Select(kv => KeyValuePair.Create($"{kv.Key.Item1}/{kv.Key.Item2}", (JsonNode?)OpStats.Round(kv.Value)))),
            } : null,
            ["targets"] = new JsonArray(Targets(r).Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Name,
                ["value"] = t.Number is { } v ? OpStats.Round(v) : null,
                ["target"] = t.Goal,
                ["verdict"] = t.Verdict,
            }).ToArray()),
            ["failures"] = new JsonArray(r.Failures.Select(f => (JsonNode)JsonValue.Create(f)!).ToArray()),
        };
        return json;
    }
}
