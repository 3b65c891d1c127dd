using System.Runtime.InteropServices;

namespace Anvil.Bench.ApiServer;

internal static class Native
{
    public const int SIGTERM = 15;

    [DllImport("libc", SetLastError = true)]
    public static extern int kill(int pid, int signal);

    /// <summary>The bundled SQLite's sleep; returns the milliseconds it asked the OS for (SQLitePCLRaw 2.0 does not wrap it).</summary>

}
