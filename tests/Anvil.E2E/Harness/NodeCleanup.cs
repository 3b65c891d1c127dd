using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Anvil.E2E.Harness;

/// <summary>Removes the runc containers whose bundles lie under a directory (runc delete -f, unmount rootfs).</summary>
internal static class NodeCleanup
{
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
        // Rootfs overlays of containers runc no longer knows.
        var containers = Path.Combine(dir, "containers");
        if (Directory.Exists(containers))
            foreach (var b in Directory.GetDirectories(containers))
                await RunAsync("umount", "-l", Path.Combine(b, "rootfs")).ConfigureAwait(false);
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
