using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Node.Network;

/// <summary>Runs one CNI plugin binary the way the CNI spec says: CNI_* in the environment, the config on stdin.</summary>
internal static class CniPlugin
{
    public static async Task<JsonObject?> RunAsync(string binDir, string command, string containerId, string netnsPath, string ifName,
        JsonObject config, CancellationToken ct)
    {
        var type = (string?)config["type"] ?? throw new InvalidOperationException("CNI config without a type");
        var psi = new ProcessStartInfo(Path.Combine(binDir, type))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["CNI_COMMAND"] = command;
        psi.Environment["CNI_CONTAINERID"] = containerId;
        psi.Environment["CNI_NETNS"] = netnsPath;
        psi.Environment["CNI_IFNAME"] = ifName;
        psi.Environment["CNI_PATH"] = binDir;
        // The plugins call iptables and friends.
        psi.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        Process? started;
        try { started = Process.Start(psi); }
        catch (System.ComponentModel.Win32Exception e) { throw new IOException($"cannot start CNI plugin {type}: {e.Message}", e); }
        using var p = started ?? throw new IOException($"cannot start CNI plugin {type}");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.StandardInput.WriteAsync(config.ToJsonString()).ConfigureAwait(false);
        p.StandardInput.Close();
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false);
        var err = await stderr.ConfigureAwait(false);
        if (p.ExitCode != 0)
        {
            // Plugins report errors as {"code":…, "msg":…, "details":…} on stdout.
            var msg = output.Trim();
            try
            {
                if (JsonNode.Parse(output) is JsonObject e)
                    msg = $"{(string?)e["msg"]}{((string?)e["details"] is { Length: > 0 } d ? ": " + d : "")}";
            }
            catch (JsonException)
            {
            }
            throw new IOException($"CNI {type} {command} failed: {(msg.Length > 0 ? msg : err.Trim())}");
        }
        if (command != "ADD" || output.Trim().Length == 0) return null;
        try
        {
            return JsonNode.Parse(output) as JsonObject;
        }
        catch (JsonException)
        {
            throw new IOException($"CNI {type} ADD returned no result: {output.Trim()}");
        }
    }
}
