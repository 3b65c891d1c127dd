using System.Globalization;
using System.Runtime.InteropServices;
using Anvil.ApiServer.Encryption;
using Anvil.Storage.Sqlite;

namespace Anvil.Cli;

/// <summary><c>anvil admin ...</c>: maintenance of a data dir.</summary>
internal static class AdminCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0) return Program.Fail("admin needs a subcommand: rotate-encryption-key, tools, users, quotas");
        return args[0] switch
        {
            "rotate-encryption-key" => await RotateEncryptionKeyAsync(args[1..]).ConfigureAwait(false),
            "tools" => await ToolsCommand.RunAsync(args[1..]).ConfigureAwait(false),
            "users" => await UsersCommand.RunAsync(args[1..]).ConfigureAwait(false),
            "quotas" => await QuotasCommand.RunAsync(args[1..]).ConfigureAwait(false),
            _ => Program.Fail($"unknown command \"{args[0]}\" for \"anvil admin\""),
        };
    }

    /// <summary>
    /// Adds a new aescbc key first in the encryption configuration and re-encrypts every secret with it.
    /// A stopped server's store is rewritten here; a running server (it holds the store's lock) is sent
    /// SIGHUP, on which it reloads the configuration and rewrites the secrets itself.
    /// </summary>
    private static async Task<int> RotateEncryptionKeyAsync(string[] args)
    {
        var dataDir = DataDirs.Default();
        string? configPath = null;
        for (var i = 0; i < args.Length; i++)
        {
            var (flag, value) = UpCommand.SplitFlag(args, ref i);
            switch (flag)
            {
                case "--data-dir":
                    if (string.IsNullOrEmpty(value)) return Program.Fail("--data-dir needs a value");
                    dataDir = Path.GetFullPath(value);
                    break;
                case "--encryption-provider-config":
                    if (string.IsNullOrEmpty(value)) return Program.Fail("--encryption-provider-config needs a value");
                    configPath = Path.GetFullPath(value);
                    break;
                default:
                    return Program.Fail($"unknown flag \"{flag}\" for \"anvil admin rotate-encryption-key\"");
            }
        }
        configPath ??= Path.Combine(dataDir, EncryptionConfiguration.DefaultFileName);
        if (!File.Exists(configPath)) return Program.Fail($"no encryption configuration at {configPath} (start anvil up once to create it)");
        var dbPath = Path.Combine(dataDir, "state.db");
        if (!File.Exists(dbPath)) return Program.Fail($"no store at {dbPath}");

        SqliteStore store;
        try
        {
            store = await SqliteStore.OpenAsync(dbPath).ConfigureAwait(false);
        }
        catch (IOException e) when (e.Message.Contains("in use by another process", StringComparison.Ordinal))
        {
            return RotateRunning(dataDir, configPath);
        }
        try
        {
            var (name, rewritten) = await EncryptionKeyRotation.RotateAsync(configPath, store).ConfigureAwait(false);
            Console.Out.WriteLine($"anvil: added encryption key {name} to {configPath}; re-encrypted {rewritten} stored values with it");
            return 0;
        }
        catch (EncryptionException e)
        {
            return Program.Fail(e.Message);
        }
        finally
        {
            await store.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The server holds the store: add the key and let the server rewrite (SIGHUP).</summary>
    private static int RotateRunning(string dataDir, string configPath)
    {
        var pid = RunningServerPid(dataDir);
        if (pid == null)
            return Program.Fail($"the store in {dataDir} is in use by another process that is not a known anvil server; stop it and run this again");
        string name;
        try
        {
            name = EncryptionKeyRotation.AddKey(configPath);
        }
        catch (EncryptionException e)
        {
            return Program.Fail(e.Message);
        }
        if (kill(pid.Value, SIGHUP) != 0)
            return Program.Fail($"added encryption key {name} to {configPath}, but signalling the server (pid {pid}) failed: send it SIGHUP to re-encrypt the stored secrets");
        Console.Out.WriteLine($"anvil: added encryption key {name} to {configPath}; the running server (pid {pid}) re-encrypts the stored values with it");
        return 0;
    }

    private static int? RunningServerPid(string dataDir)
    {
        try
        {
            var text = File.ReadAllText(DataDirs.PidFile(dataDir)).Trim();
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return null;
            // A stale pid file could name an unrelated process by now; only signal an anvil.
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Contains("anvil", StringComparison.Ordinal) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private const int SIGHUP = 1;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
