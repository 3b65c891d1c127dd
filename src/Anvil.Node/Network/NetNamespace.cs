using System.Runtime.InteropServices;
using Anvil.Node.Runtime;

namespace Anvil.Node.Network;

/// <summary>
/// Named network namespaces as <c>ip netns add/delete</c> make them (a namespace bind-mounted on
/// <c>/run/netns/NAME</c>), without a process per pod: made on a thread of its own that unshares its network
/// namespace, pins it and ends, so no other work of this process ever runs in it. The first one goes through
/// <c>ip netns add</c>, which also makes /run/netns a shared mount (so the pins reach other mount namespaces).
/// </summary>
internal static class NetNamespace
{
    private const string RunDir = "/run/netns";
    private const int CLONE_NEWNET = 0x40000000;
    private const ulong MS_BIND = 4096;

    [DllImport("libc", EntryPoint = "unshare", SetLastError = true)]
    private static extern int Unshare(int flags);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int GetTid();

    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    private static extern int Mount(string source, string target, string? fstype, ulong flags, string? data);

    public static string PathOf(string name) => Path.Combine(RunDir, name);

    /// <summary>Creates the named namespace (nothing to do when it exists); throws IOException.</summary>
    public static async Task AddAsync(string name, CancellationToken ct)
    {
        var path = PathOf(name);
        if (File.Exists(path)) return;
        if (!RunDirShared())
        {
            var (code, _, err) = await HostCommand.RunAsync("ip", ["netns", "add", name], ct).ConfigureAwait(false);
            if (code != 0 && !File.Exists(path)) throw new IOException($"ip netns add {name}: {err.Trim()}");
            return;
        }
        var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { done.TrySetResult(Pin(path)); }
            catch (Exception e) { done.TrySetResult(e.Message); }
        }) { IsBackground = true, Name = "netns " + name };
        thread.Start();
        if (await done.Task.ConfigureAwait(false) is { } error)
        {
            TryDelete(path);
            throw new IOException($"creating network namespace {name}: {error}");
        }
    }

    /// <summary>On a thread that ends right after: a new network namespace for it, bind-mounted on <paramref name="path"/>.</summary>
    private static string? Pin(string path)
    {
        // Like ip: an empty file to mount on, created exclusively.
        using (new FileStream(path, FileMode.CreateNew, FileAccess.Write)) { }
        if (Unshare(CLONE_NEWNET) != 0) return "unshare: " + Marshal.GetLastPInvokeErrorMessage();
        return Mount($"/proc/self/task/{GetTid()}/ns/net", path, "none", MS_BIND, null) == 0 ? null : "mount: " + Marshal.GetLastPInvokeErrorMessage();
    }

    /// <summary>Unpins and removes the named namespace (it ends once nothing uses it); nothing to do when it is gone.</summary>
    public static void Delete(string name)
    {
        var path = PathOf(name);
        if (!File.Exists(path)) return;
        Mounts.Unmount(path);
        TryDelete(path);
        if (File.Exists(path)) throw new IOException($"removing network namespace {name} failed");
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>/run/netns is a mount point of its own with shared propagation (ip netns add sets that up once).</summary>
    private static bool RunDirShared()
    {
        try
        {
            // id parent major:minor root mount-point options optional-fields... - fstype source super-options; the last
            // mount on a point is the one in effect.
            var shared = false;
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                var fields = line.Split(' ');
                if (fields.Length > 6 && fields[4] == RunDir)
                    shared = fields.Skip(6).TakeWhile(f => f != "-").Any(f => f.StartsWith("shared:", StringComparison.Ordinal));
            }
            return shared;
        }
        catch (IOException)
        {
        }
        return false;
    }
}
