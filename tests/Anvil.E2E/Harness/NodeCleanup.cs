using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Anvil.E2E.Harness;

/// <summary>Removes the runc containers of a data dir (runc delete -f, unmount rootfs, remove the bundle).</summary>
internal static class NodeCleanup
{
    /// <summary>Where the runtime keeps containers' bundles (RuncRuntime's default run dir).</summary>
    private const string RunBundles = "/run/anvil/containers";

    public static async Task RemoveContainersUnderAsync(string dir)
    {
        var runc = File.Exists("/usr/sbin/runc") ? "/usr/sbin/runc" : "/usr/bin/runc";
        if (!File.Exists(runc)) return;
        var (code, stdout) = await RunAsync(runc, "list", "--format", "json").ConfigureAwait(false);
        if (code != 0 || JsonNode.Parse(stdout.Trim() is { Length: > 0 } t ? t : "[]") is not JsonArray list) return;
        var prefix = dir.TrimEnd('/') + "/";
        foreach (var c in list.OfType<JsonObject>())
        {
            var bundle = (string?)c["bundle"] ?? "";
            if (!bundle.StartsWith(prefix, StringComparison.Ordinal)) continue;
            await RunAsync(runc, "delete", "-f", (string?)c["id"] ?? "").ConfigureAwait(false);
            await RunAsync("umount", "-l", Path.Combine(bundle, "rootfs")).ConfigureAwait(false);
        }
        // Bundles live in the runtime's run dir (tmpfs), named by the containers in the data dir.
        var containers = Path.Combine(dir, "containers");
        if (Directory.Exists(containers))
            foreach (var id in Directory.GetDirectories(containers).Select(Path.GetFileName).OfType<string>())
            {
                var bundle = Path.Combine(RunBundles, id);
                await RunAsync(runc, "delete", "-f", id).ConfigureAwait(false);
                await RunAsync("umount", "-l", Path.Combine(bundle, "rootfs")).ConfigureAwait(false);
                await RunAsync("rm", "-rf", "--one-file-system", bundle).ConfigureAwait(false);
            }
    }

    /// <summary>Runs a host command; its exit code and stdout.</summary>
    internal static async Task<(int, string)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = await p.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await p.StandardError.ReadToEndAsync().ConfigureAwait(false);
        await p.WaitForExitAsync().ConfigureAwait(false);
        return (p.ExitCode, stdout);
    }
}
