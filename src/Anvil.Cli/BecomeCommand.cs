using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Toolforge.Accounts;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Cli;

/// <summary>
/// <c>anvil become TOOL [COMMAND...]</c>: Toolforge's <c>become</c>. Runs <c>$SHELL</c> (or the command) as the
/// tool's uid/gid with <c>HOME</c> the tool's home and <c>KUBECONFIG</c> its kubeconfig. Needs root: allowed for
/// root itself and, under sudo, for the tool's maintainers (<c>$SUDO_USER</c>).
/// </summary>
internal static class BecomeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? kubeconfig = null;
        var dataDir = DataDirs.Default();
        var i = 0;
        for (; i < args.Length && args[i].StartsWith("--", StringComparison.Ordinal); i++)
        {
            if (args[i] == "--")
            {
                i++;
                break;
            }
            var (flag, value) = UpCommand.SplitFlag(args, ref i);
            if (string.IsNullOrEmpty(value)) return Program.Fail($"{flag} needs a value");
            switch (flag)
            {
                case "--kubeconfig": kubeconfig = value; break;
                case "--data-dir": dataDir = Path.GetFullPath(value); break;
                default: return Program.Fail($"unknown flag \"{flag}\" for \"anvil become\"");
            }
        }
        if (i >= args.Length) return Program.Fail("usage: anvil become TOOL [COMMAND...]");
        var name = args[i];
        var command = args[(i + 1)..];
        if (command.Length > 0 && command[0] == "--") command = command[1..];
        if (ToolNames.Validate(name) is { } invalid) return Program.Fail(invalid);
        if (geteuid() != 0)
            return Program.Fail($"become needs root to switch to tool \"{name}\": run \"sudo anvil become {name}\" (allowed for the tool's maintainers)");
        var invoker = Environment.GetEnvironmentVariable("SUDO_USER") is { Length: > 0 } sudoUser ? sudoUser : "root";

        JsonObject tool;
        try
        {
            using var client = KubeconfigClient.Load(KubeconfigClient.Resolve(kubeconfig, dataDir));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            tool = await client.GetAsync(ToolforgeResources.Tools, "", name, cts.Token).ConfigureAwait(false);
        }
        catch (FormatException e)
        {
            return Program.Fail(e.Message);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return Program.Fail($"tool \"{name}\" not found");
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or OperationCanceledException)
        {
            return Program.Fail(e.Message);
        }
        var maintainers = (Arr(tool["spec"]?["maintainers"]) ?? []).Select(m => Str(m)).ToList();
        if (invoker != "root" && !maintainers.Contains(invoker))
            return Program.Fail($"user \"{invoker}\" is not a maintainer of tool \"{name}\" (maintainers: {(maintainers.Count == 0 ? "none" : string.Join(", ", maintainers))})");
        if (Bool(tool["spec"]?["disabled"]) == true) return Program.Fail($"tool \"{name}\" is disabled");
        var home = Str(tool["status"]?["home"]);
        if (home == null) return Program.Fail($"tool \"{name}\" is not provisioned yet (no home in its status)");
        var config = Path.Combine(home, ".kube", "config");
        if (!File.Exists(config)) return Program.Fail($"tool \"{name}\" has no kubeconfig yet at {config}");
        var uid = Int(tool["spec"]?["uid"]) ?? 0;
        var gid = Int(tool["spec"]?["gid"]) ?? uid;

        var psi = new ProcessStartInfo("setpriv") { UseShellExecute = false, WorkingDirectory = home };
        foreach (var a in new[] { "--reuid", uid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--regid", gid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--clear-groups", "--" })
            psi.ArgumentList.Add(a);
        if (command.Length == 0) psi.ArgumentList.Add(Environment.GetEnvironmentVariable("SHELL") is { Length: > 0 } shell ? shell : "/bin/sh");
        foreach (var a in command) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = home;
        psi.Environment["KUBECONFIG"] = config;
        psi.Environment["USER"] = "tools." + name;
        psi.Environment["LOGNAME"] = "tools." + name;
        psi.Environment.Remove("SUDO_USER");
        try
        {
            using var p = Process.Start(psi)!;
            await p.WaitForExitAsync().ConfigureAwait(false);
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return Program.Fail($"cannot run setpriv (util-linux): {e.Message}");
        }
    }

    [DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
