using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.ApiServer;
using Anvil.Bench.Measurement;
using Anvil.Client;
using Anvil.Toolforge;
using Anvil.Toolforge.Accounts;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Bench.Tools;

/// <summary>
/// <c>tools [--tools 1000] [--latency 20] [--quick]</c>: the tool-accounts controller (maintain-kubeusers) against
/// an in-process API server. (1) p50 time from creating a Tool to a usable kubeconfig (its credentials list pods
/// in the tool's namespace), over --latency tools created one at a time. (2) Time to provision --tools tools
/// created at once (all Ready). Baseline in the same run: the same objects written directly with an admin
/// client (Tool, namespace, quota, LimitRange, RoleBinding, CSR round trip, home files, marker), by as many
/// workers as the controller has, without informers, queue or status. Target: 1,000 tools in under 60 s.
/// </summary>
internal static class ToolsBenchmark
{
    private const double TargetSeconds = 60;

    public static async Task<int> RunAsync(string[] args)
    {
        int tools = 1000, latency = 20;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": tools = 200; latency = 10; break;
                case "--tools" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var t) && t is > 0 and <= 20000: tools = t; i++; break;
                case "--latency" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var l) && l is > 0 and <= 1000: latency = l; i++; break;
                default:
                    Console.Error.WriteLine("usage: tools [--tools 1-20000] [--latency 1-1000] [--quick]");
                    return 2;
            }
        }
        using var overall = new CancellationTokenSource(TimeSpan.FromSeconds(300 + tools * 0.5));
        var dir = Directory.CreateTempSubdirectory("anvil-bench-tools-").FullName;
        var homes = Path.Combine(dir, "project");
        try
        {
            await using var server = new ApiServerHost(new ApiServerOptions { DataDir = Path.Combine(dir, "data"), Port = Ports.Free(), Bind = "127.0.0.1" });
            await server.StartAsync(overall.Token);
            var url = new Uri(server.ServerUrl);
            var (acert, akey) = server.Pki.IssueClientCertificate("admin", ["system:masters"], TimeSpan.FromDays(1));
            using var admin = KubeClient.FromPem(url, server.Pki.CaPem, acert, akey, "anvil-bench");
            await ToolforgeBootstrap.InstallAsync(admin, overall.Token);
            var options = new ToolAccountsOptions { Toolforge = new ToolforgeOptions { Homes = homes, UsersHome = Path.Combine(dir, "home") }, Server = server.ServerUrl, CaPem = server.Pki.CaPem };
            Console.WriteLine($"tools benchmark: {tools} tools, latency over {latency}; {Environment.ProcessorCount} cores; ECDSA P-256 keys; {options.Workers} workers");

            // Baseline first, on the emptier store (the ratio is, if anything, pessimistic for the controller).
            var baseline = await BaselineAsync(admin, options, tools, overall.Token);
            Console.WriteLine($"  baseline (direct writes, no controller): {tools} tools in {baseline.TotalSeconds,6:0.0} s   ({tools / baseline.TotalSeconds:0} tools/s)");
            // Untimed: the baseline's Tool objects go (no finalizer), so the controller does not adopt them below.
            await ParallelIndexes.RunAsync(tools, 16, i => admin.DeleteAsync(ToolforgeResources.Tools, "", $"base-{i}", ct: overall.Token));

            var (ccert, ckey) = server.Pki.IssueClientCertificate("system:anvil:tool-accounts", [], TimeSpan.FromDays(1));
            using var controllerClient = KubeClient.FromPem(url, server.Pki.CaPem, ccert, ckey, "anvil-tool-accounts");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
            var controller = new ToolAccountsController(controllerClient, options, NullLogger.Instance);
            var run = controller.RunAsync(stop.Token);
            try
            {
                var samples = new List<double>();
                for (var i = 0; i < latency; i++) samples.Add(await LatencyAsync(admin, server, homes, $"lat-{i}", overall.Token));
                samples.Sort();
                Console.WriteLine($"  create → usable kubeconfig: p50 {Percentile(samples, 0.5) * 1000,6:0} ms   p90 {Percentile(samples, 0.9) * 1000:0} ms   max {samples[^1] * 1000:0} ms   (n={latency})");

                var sw = Stopwatch.StartNew();
                await ParallelIndexes.RunAsync(tools, 16, i => admin.CreateAsync(ToolforgeResources.Tools, "", Tool($"ctl-{i}", 60000 + i), overall.Token));
                var created = sw.Elapsed;
                while (true)
                {
                    var list = await admin.ListAsync(ToolforgeResources.Tools, "", "", overall.Token);
                    var ready = (list["items"] as JsonArray ?? []).OfType<JsonObject>().Count(t =>
                        ((string?)t["metadata"]?["name"])?.StartsWith("ctl-", StringComparison.Ordinal) == true &&
                        (t["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Any(c => (string?)c["type"] == "Ready" && (string?)c["status"] == "True"));
                    if (ready == tools) break;
                    await Task.Delay(200, overall.Token);
                }
                var total = sw.Elapsed;
                Console.WriteLine($"  controller: {tools} tools Ready in {total.TotalSeconds,6:0.0} s   ({tools / total.TotalSeconds:0} tools/s; Tool objects created in {created.TotalSeconds:0.0} s)");
                Console.WriteLine($"  ratio controller / baseline: {total.TotalSeconds / baseline.TotalSeconds:0.00}   target {tools} tools < {TargetSeconds:0} s: {(total.TotalSeconds < TargetSeconds * tools / 1000.0 ? "PASS" : "MISS")}{(tools != 1000 ? " (scaled to the tool count)" : "")}");
            }
            finally
            {
                stop.Cancel();
                try { await run; } catch (OperationCanceledException) { }
            }
            return 0;
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException or IOException)
        {
            Console.Error.WriteLine($"tools benchmark failed: {e.Message}");
            return 1;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>Seconds from creating one Tool until its kubeconfig's credentials list pods in its namespace.</summary>
    private static async Task<double> LatencyAsync(KubeClient admin, ApiServerHost server, string homes, string name, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        await admin.CreateAsync(ToolforgeResources.Tools, "", Tool(name, 55000 + int.Parse(name[4..], CultureInfo.InvariantCulture)), ct);
        var pods = new ResourceRef("", "v1", "pods", true);
        while (true)
        {
            if (HomeFiles.Exists(homes, name, ".kube", "config"))
            {
                using var c = KubeClient.FromPem(new Uri(server.ServerUrl), server.Pki.CaPem,
                    File.ReadAllText(Path.Combine(homes, name, ".toolskube", "client.crt")), File.ReadAllText(Path.Combine(homes, name, ".toolskube", "client.key")));
                try
                {
                    await c.ListAsync(pods, ToolNames.Namespace(name), "", ct);
                    return sw.Elapsed.TotalSeconds;
                }
                catch (ApiException e) when (e.Code == 403)
                {
                }
            }
            if (sw.Elapsed > TimeSpan.FromSeconds(60)) throw new IOException($"tool {name} not usable within 60 s");
            await Task.Delay(5, ct);
        }
    }

    private static async Task<TimeSpan> BaselineAsync(KubeClient admin, ToolAccountsOptions options, int tools, CancellationToken ct)
    {
        var issuer = new ClientCertificateIssuer(admin);
        var sw = Stopwatch.StartNew();
        await ParallelIndexes.RunAsync(tools, options.Workers, async i =>
        {
            var name = $"base-{i}";
            var ns = ToolNames.Namespace(name);
            await admin.CreateAsync(ToolforgeResources.Tools, "", Tool(name, 70000 + i), ct);
            await admin.CreateAsync(ToolforgeResources.Namespaces, "", ToolObjects.Namespace(name), ct);
            await admin.CreateAsync(ToolforgeResources.ResourceQuotas, ns, ToolObjects.ResourceQuota(name, options.Quota.Hard), ct);
            await admin.CreateAsync(ToolforgeResources.LimitRanges, ns, ToolObjects.LimitRange(name, options.Quota), ct);
            await admin.CreateAsync(ToolforgeResources.RoleBindings, ns, ToolObjects.ToolRoleBinding(name), ct);
            HomeFiles.EnsureHome(options.Toolforge.Homes, name, 70000 + i, 70000 + i, HomeFiles.HomeMode, "logs");
            var c = await issuer.IssueAsync("tool-" + name, name, "toolforge", ct);
            HomeFiles.WriteFile(options.Toolforge.Homes, name, ".toolskube", "client.crt", c.CertificatePem, 70000 + i, 70000 + i, UnixFileMode.UserRead);
            HomeFiles.WriteFile(options.Toolforge.Homes, name, ".toolskube", "client.key", c.KeyPem, 70000 + i, 70000 + i, UnixFileMode.UserRead);
            HomeFiles.WriteFile(options.Toolforge.Homes, name, ".kube", "config", ToolKubeconfig.Render(options.Server, options.CaPem, "tf-" + name, c.CertificatePem, c.KeyPem, ns), 70000 + i, 70000 + i, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            await admin.CreateAsync(ToolforgeResources.ConfigMaps, ns, ToolObjects.Marker(DateTimeOffset.UtcNow, c.NotAfter), ct);
        });
        return sw.Elapsed;
    }

    private static JsonObject Tool(string name, int uid) => new()
    {
        ["apiVersion"] = "toolforge.org/v1",
        ["kind"] = "Tool",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["uid"] = uid, ["gid"] = uid, ["maintainers"] = new JsonArray(), ["disabled"] = false },
    };

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
