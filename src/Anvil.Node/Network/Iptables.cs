using System.Diagnostics;

namespace Anvil.Node.Network;

/// <summary>iptables-restore and plain iptables calls (the nf_tables backend on this machine; both work the same).</summary>
public static class Iptables
{
    /// <summary>Applies a restore script without flushing the tables' other chains; throws with its error text.</summary>
    public static async Task RestoreAsync(string script, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("iptables-restore")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--noflush");
        using var p = Process.Start(psi) ?? throw new IOException("cannot start iptables-restore");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.StandardInput.WriteAsync(script).ConfigureAwait(false);
        p.StandardInput.Close();
        await p.WaitForExitAsync(ct).ConfigureAwait(false);
        await stdout.ConfigureAwait(false);
        var err = await stderr.ConfigureAwait(false);
        if (p.ExitCode != 0) throw new IOException($"iptables-restore failed: {err.Trim()}");
    }

    /// <summary>Runs iptables with the arguments; the exit code and stderr.</summary>
    public static async Task<(int Code, string Error)> RunAsync(IEnumerable<string> args, CancellationToken ct)
    {
        var (code, _, err) = await Runtime.HostCommand.RunAsync("iptables", ["-w", .. args], ct).ConfigureAwait(false);
        return (code, err);
    }
}
