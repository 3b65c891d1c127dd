using System.Reflection;
using System.Runtime.InteropServices;

namespace Anvil.Storage.Sqlite;

/// <summary>
/// Chooses the SQLite library. The e_sqlite3 build bundled with SQLitePCLRaw has no usleep, so every internal
/// retry (a WAL reader waiting out a checkpoint, a busy writer) sleeps a whole second; the system's
/// libsqlite3 (Debian's libsqlite3-0) sleeps microseconds. When the system library is present the bundled
/// provider's imports are pointed at it; otherwise the bundled one is used as is.
/// </summary>
public static class SqliteNative
{
    private static readonly object Gate = new();
    private static bool s_initialized;

    /// <summary>The library in use: the system library's path, or "e_sqlite3 (bundled)".</summary>
    public static string Library { get; private set; } = "";

    private static IntPtr s_handle;

    private delegate int SleepFunction(int milliseconds);

    /// <summary>Calls the library's sqlite3_sleep (a diagnostic: returns what it slept, 1000 for 1 ms without usleep).</summary>
    public static int Sleep(int milliseconds)
    {
        Init();
        var handle = s_handle != IntPtr.Zero ? s_handle : NativeLibrary.Load("e_sqlite3", typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly, null);
        var sleep = Marshal.GetDelegateForFunctionPointer<SleepFunction>(NativeLibrary.GetExport(handle, "sqlite3_sleep"));
        return sleep(milliseconds);
    }

    public static void Init()
    {
        lock (Gate)
        {
            if (s_initialized) return;
            Library = "e_sqlite3 (bundled)";
            foreach (var candidate in new[] { "libsqlite3.so.0", "/usr/lib/x86_64-linux-gnu/libsqlite3.so.0", "/usr/lib/aarch64-linux-gnu/libsqlite3.so.0" })
            {
                if (!NativeLibrary.TryLoad(candidate, out var handle)) continue;
                var provider = typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly;
                NativeLibrary.SetDllImportResolver(provider, (name, _, _) => name == "e_sqlite3" ? handle : IntPtr.Zero);
                s_handle = handle;
                Library = candidate;
                break;
            }
            SQLitePCL.Batteries_V2.Init();
            s_initialized = true;
        }
    }
}
