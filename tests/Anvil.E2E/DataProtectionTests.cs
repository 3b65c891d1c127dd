using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>Secrets are encrypted at rest, the audit log records requests but never secret values, keys rotate.</summary>
public sealed class DataProtectionTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    [Fact]
    public async Task SecretValue_IsInNoFileOfTheDataDir_ButReadsBack()
    {
        var ns = await NamespaceAsync("protect-secret");
        var value = "topsecret-" + Guid.NewGuid().ToString("N");
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(value));
        (await K("create", "secret", "generic", "s1", "-n", ns, "--from-literal=password=" + value)).Succeeded();
        // A control: a ConfigMap value is stored as is, so the search below does see stored data.
        var plain = "visible-" + Guid.NewGuid().ToString("N");
        (await K("create", "configmap", "c1", "-n", ns, "--from-literal=v=" + plain)).Succeeded();

        Assert.Equal(encoded, await JsonPathAsync(ns, "secret", "s1", "{.data.password}"));
        await EventuallyAsync("the audit log has the secret's create", async () =>
        {
            var audit = await File.ReadAllTextAsync(Path.Combine(Server.DataDir, "audit.log"));
            return (audit.Contains("\"name\":\"s1\"", StringComparison.Ordinal), audit[^Math.Min(audit.Length, 2000)..]);
        });

        var files = DataDirFiles();
        Assert.Contains(files, f => Path.GetFileName(f.Path) == "audit.log");
        Assert.Contains(files, f => Path.GetFileName(f.Path) == "state.db");
        Assert.Contains(files, f => Contains(f.Bytes, plain));
        Assert.Contains(files, f => Contains(f.Bytes, "k8s:enc:aescbc:v1:"));
        foreach (var (path, bytes) in files)
        {
            Assert.False(Contains(bytes, value), $"{path} holds the secret's value");
            Assert.False(Contains(bytes, encoded), $"{path} holds the secret's value in base64");
        }
        // Keys and state are owner-only.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Server.DataDir));
        foreach (var name in new[] { "state.db", "audit.log", "encryption-config.yaml", "admin.kubeconfig" })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Server.DataDir, name)));
    }

    [Fact]
    public async Task AuditLog_HasAnEventPerRequest()
    {
        var ns = await NamespaceAsync("protect-audit");
        (await K("get", "pods", "-n", ns)).Succeeded();
        (await K("get", "configmap", "nope", "-n", ns)).Failed();

        JsonObject? list = null, notFound = null;
        await EventuallyAsync("the audit log has both requests", async () =>
        {
            var events = (await File.ReadAllLinesAsync(Path.Combine(Server.DataDir, "audit.log")))
                .Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();
            list = events.LastOrDefault(e => e["verb"]?.ToString() == "list" && e["objectRef"]?["resource"]?.ToString() == "pods"
                && e["objectRef"]?["namespace"]?.ToString() == ns);
            notFound = events.LastOrDefault(e => e["verb"]?.ToString() == "get" && e["objectRef"]?["name"]?.ToString() == "nope");
            return (list != null && notFound != null, $"{events.Count} events");
        });
        Assert.Equal("admin", list!["user"]!["username"]!.ToString());
        Assert.Equal(["kind", "apiVersion", "level", "auditID", "stage", "requestURI", "verb", "user", "sourceIPs", "userAgent", "objectRef",
            "responseStatus", "requestReceivedTimestamp", "stageTimestamp", "annotations"], list.Select(p => p.Key).ToArray());
        Assert.Equal(("Event", "audit.k8s.io/v1", "Metadata", "ResponseComplete"),
            (list["kind"]!.ToString(), list["apiVersion"]!.ToString(), list["level"]!.ToString(), list["stage"]!.ToString()));
        Assert.StartsWith($"/api/v1/namespaces/{ns}/pods?limit=500", list["requestURI"]!.ToString());
        Assert.StartsWith("kubectl/", list["userAgent"]!.ToString());
        Assert.Equal(["127.0.0.1"], list["sourceIPs"]!.AsArray().Select(x => x!.ToString()).ToArray());
        Assert.Equal(200, list["responseStatus"]!["code"]!.GetValue<int>());
        Assert.Equal("allow", list["annotations"]!["authorization.k8s.io/decision"]!.ToString());
        Assert.Equal(404, notFound!["responseStatus"]!["code"]!.GetValue<int>());
        Assert.Equal("NotFound", notFound["responseStatus"]!["reason"]!.ToString());
    }

    [Fact]
    public async Task RotateEncryptionKey_OnARunningServer_ReencryptsAndKeepsSecretsReadable()
    {
        var ns = await NamespaceAsync("protect-rotate");
        var value = "rotate-" + Guid.NewGuid().ToString("N");
        (await K("create", "secret", "generic", "r1", "-n", ns, "--from-literal=k=" + value)).Succeeded();
        var keysBefore = KeyNames();

        var (code, output) = await RunAnvilAsync("admin", "rotate-encryption-key", "--data-dir", Server.DataDir);
        Assert.True(code == 0, output);
        var newKey = KeyNames().Except(keysBefore).Single();
        Assert.Contains($"added encryption key {newKey}", output);
        Assert.Equal(newKey, KeyNames()[0]);

        await EventuallyAsync("the server re-encrypted with the new key", () =>
        {
            var done = Server.Output.Contains("encryption configuration reloaded", StringComparison.Ordinal)
                && DataDirFiles().Any(f => Contains(f.Bytes, $"k8s:enc:aescbc:v1:{newKey}:"));
            return Task.FromResult((done, $"rotate said: {output}\n{SignalState()}\nserver said: {Server.Output}"));
        }, TimeSpan.FromSeconds(60)); // a loaded machine (CI runs every E2E class at once) can take a while
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(value)), await JsonPathAsync(ns, "secret", "r1", "{.data.k}"));
        // And after a restart, with the rotated configuration read from disk.
        await Server.RestartAsync();
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(value)), await JsonPathAsync(ns, "secret", "r1", "{.data.k}"));
    }

    /// <summary>The server's pid, its pid file and its signal masks (is SIGHUP caught, blocked, pending?), for a failure message.</summary>
    private string SignalState()
    {
        var pid = Server.Pid;
        var pidFile = Path.Combine(Server.DataDir, "anvil.pid");
        var status = pid > 0 && File.Exists($"/proc/{pid}/status")
            ? string.Join(" ", File.ReadAllLines($"/proc/{pid}/status").Where(l => l.StartsWith("Sig", StringComparison.Ordinal) || l.StartsWith("ShdPnd", StringComparison.Ordinal) || l.StartsWith("Threads", StringComparison.Ordinal)))
            : "no process";
        return $"server pid {pid}, pid file {(File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : "missing")}, {status}";
    }

    private List<string> KeyNames() =>
        File.ReadAllLines(Path.Combine(Server.DataDir, "encryption-config.yaml"))
            .Where(l => l.TrimStart().StartsWith("- name:", StringComparison.Ordinal) || l.TrimStart().StartsWith("name:", StringComparison.Ordinal))
            .Select(l => l.Split(':', 2)[1].Trim()).ToList();

    /// <summary>Every file under the data dir with its bytes (the store's lock file is held exclusively and empty).</summary>
    private List<(string Path, byte[] Bytes)> DataDirFiles()
    {
        var result = new List<(string, byte[])>();
        foreach (var path in Directory.EnumerateFiles(Server.DataDir, "*", SearchOption.AllDirectories))
        {
            if (path.EndsWith(".lock", StringComparison.Ordinal)) continue;
            try
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var ms = new MemoryStream();
                fs.CopyTo(ms);
                result.Add((path, ms.ToArray()));
            }
            catch (FileNotFoundException)
            {
                // Removed meanwhile (e.g. a temporary file renamed into place).
            }
        }
        return result;
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;

    private static async Task<(int Code, string Output)> RunAnvilAsync(params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h
            : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "anvil.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}
