using System.Runtime.InteropServices;

namespace Anvil.Cli;

/// <summary>Where anvil keeps its state unless told otherwise.</summary>
internal static class DataDirs
{
    /// <summary>/var/lib/anvil as root, else ~/.local/share/anvil.</summary>
    public static string Default() =>
        Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || geteuid() == 0
            ? "/var/lib/anvil"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share", "anvil");

    /// <summary>The file <c>anvil up</c> writes its process id to, so admin commands can signal it.</summary>
    public static string PidFile(string dataDir) => Path.Combine(dataDir, "anvil.pid");

    [DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
