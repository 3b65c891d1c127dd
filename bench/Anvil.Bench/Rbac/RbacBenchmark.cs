using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.ApiServer;
using Anvil.Bench.Measurement;
using Anvil.Client;

namespace Anvil.Bench.Rbac;

/// <summary>
/// <c>rbac [--roles 1000] [--seconds 5] [--clients 8] [--quick]</c>: the cost of authorization on the hot
/// path. An in-process API server holds N Roles and N RoleBindings for other users; the same configmap GET is
/// driven for a fixed time as a user whose access comes from one RoleBinding (RBAC-checked) and, as the
/// baseline in the same run, as a system:masters user (no RBAC evaluation). Target: ratio ≥ 0.8.
/// </summary>
internal static class RbacBenchmark
{
    private const double Target = 0.8;
    private static readonly ResourceRef ConfigMaps = new("", "v1", "configmaps", true);
    private static readonly ResourceRef Roles = new("rbac.authorization.k8s.io", "v1", "roles", true);
    private static readonly ResourceRef RoleBindings = new("rbac.authorization.k8s.io", "v1", "rolebindings", true);

    public static async Task<int> RunAsync(string[] args)
    {
        int roles = 1000, clients = 8;
        var seconds = 5.0;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": roles = 200; seconds = 2; break;
                case "--roles" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r is >= 0 and <= 100000: roles = r; i++; break;
                case "--clients" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var c) && c is > 0 and <= 256: clients = c; i++; break;
                case "--seconds" when i + 1 < args.Length && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var s) && s is > 0 and <= 120: seconds = s; i++; break;
                default:
                    Console.Error.WriteLine("usage: rbac [--roles 0-100000] [--clients 1-256] [--seconds 1-120] [--quick]");
                    return 2;
            }
        }
        using var overall = new CancellationTokenSource(TimeSpan.FromSeconds(120 + roles / 20.0 + seconds * 4));
        var dir = Directory.CreateTempSubdirectory("anvil-bench-rbac-").FullName;
        try
        {
            await using var server = new ApiServerHost(new ApiServerOptions { DataDir = dir, Port = Ports.Free(), Bind = "127.0.0.1", DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" } });
            await server.StartAsync(overall.Token);
            var url = new Uri(server.ServerUrl);
            var (acert, akey) = server.Pki.IssueClientCertificate("admin", ["system:masters"], TimeSpan.FromDays(1));
            using var admin = KubeClient.FromPem(url, server.Pki.CaPem, acert, akey, "anvil-bench");
            await admin.CreateAsync(ResourceRef.Namespaces, "", Obj("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}"""), overall.Token);
            await admin.CreateAsync(ConfigMaps, "bench", Obj("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"target"},"data":{"a":"1"}}"""), overall.Token);

            // N roles and bindings for other users: the authorizer must find the right one among them.
            var sw = Stopwatch.StartNew();
            await ParallelIndexes.RunAsync(roles, 16, async i =>
            {
                await admin.CreateAsync(Roles, "bench", Obj($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"role-{{i}}"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"resourceNames":["other-{{i}}"],"verbs":["get"]}]}"""), overall.Token);
                await admin.CreateAsync(RoleBindings, "bench", Obj($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"binding-{{i}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"role-{{i}}"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"user-{{i}}"}]}"""), overall.Token);
            });
            await admin.CreateAsync(Roles, "bench", Obj("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"reader"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get"]}]}"""), overall.Token);
            await admin.CreateAsync(RoleBindings, "bench", Obj("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"reader"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"bench-user"}]}"""), overall.Token);
            Console.WriteLine($"rbac benchmark: {roles} roles + {roles} bindings stored in {sw.Elapsed.TotalSeconds:0.0} s; {clients} clients, {seconds:0.#} s per run");

            var (ucert, ukey) = server.Pki.IssueClientCertificate("bench-user", [], TimeSpan.FromDays(1));
            var user = Enumerable.Range(0, clients).Select(_ => KubeClient.FromPem(url, server.Pki.CaPem, ucert, ukey, "anvil-bench")).ToList();
            var masters = Enumerable.Range(0, clients).Select(_ => KubeClient.FromPem(url, server.Pki.CaPem, acert, akey, "anvil-bench")).ToList();
            try
            {
                // The binding reaches the authorizer's index a moment after it is stored.
                var ready = Stopwatch.StartNew();
                while (true)
                {
                    try { await user[0].GetAsync(ConfigMaps, "bench", "target", overall.Token); break; }
                    catch (ApiException e) when (e.Code == 403 && ready.Elapsed < TimeSpan.FromSeconds(30)) { await Task.Delay(50, overall.Token); }
                }
                // Warm up both paths, then alternate runs so drift on this shared machine hits both.
                await DriveAsync(masters, TimeSpan.FromSeconds(1), overall.Token);
                await DriveAsync(user, TimeSpan.FromSeconds(1), overall.Token);
                var mastersRuns = new List<double>();
                var userRuns = new List<double>();
                for (var round = 0; round < 3; round++)
                {
                    mastersRuns.Add(await DriveAsync(masters, TimeSpan.FromSeconds(seconds), overall.Token));
                    userRuns.Add(await DriveAsync(user, TimeSpan.FromSeconds(seconds), overall.Token));
                }
                var m = mastersRuns.Average();
                var u = userRuns.Average();
                Console.WriteLine($"  get as system:masters (no RBAC): {m,8:0} req/s   runs: {string.Join(", ", mastersRuns.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))}");
                Console.WriteLine($"  get as bench-user (RBAC-checked): {u,7:0} req/s   runs: {string.Join(", ", userRuns.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))}");
                var ratio = u / m;
                Console.WriteLine($"  ratio RBAC / masters: {ratio:0.00}   target ≥ {Target:0.0}: {(ratio >= Target ? "PASS" : "MISS")}");
            }
            finally
            {
                foreach (var c in user.Concat(masters)) c.Dispose();
            }
            return 0;
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException or IOException)
        {
            Console.Error.WriteLine($"rbac benchmark failed: {e.Message}");
            return 1;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>Gets the same object from every client for a fixed time; returns requests per second.</summary>
    private static async Task<double> DriveAsync(List<KubeClient> clients, TimeSpan duration, CancellationToken ct)
    {
        long count = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select(async c =>
        {
            while (sw.Elapsed < duration && !ct.IsCancellationRequested)
            {
                await c.GetAsync(ConfigMaps, "bench", "target", ct);
                Interlocked.Increment(ref count);
            }
        }));
        return count / sw.Elapsed.TotalSeconds;
    }

    private static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;
}
