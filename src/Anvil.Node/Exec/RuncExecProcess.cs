using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Anvil.Node.Exec;

/// <summary>
/// <c>runc exec</c> in the foreground. Without a tty runc hands its own stdio pipes to the process. With a tty,
/// runc (<c>-t</c>) makes the container's terminal and copies between it and runc's stdio, which is the slave of
/// a pseudo-terminal the agent holds the master of; a resize sets the master's size and sends runc SIGWINCH, on
/// which runc copies the size into the container's terminal. <c>--pid-file</c> names the process for kills.
/// </summary>
internal sealed class RuncExecProcess : ExecProcess
{
    private const int SIGKILL = 9, SIGWINCH = 28;

    [DllImport("libc", SetLastError = true)] private static extern int kill(int pid, int sig);

    private readonly Process _runc;
    private readonly Pty? _pty;
    private readonly string _pidFile;
    private readonly Task<int> _exited;

    private RuncExecProcess(Process runc, Pty? pty, string pidFile, Stream? stdin, Stream? stdout, Stream? stderr)
    {
        _runc = runc;
        _pty = pty;
        _pidFile = pidFile;
        Stdin = stdin;
        Stdout = stdout;
        Stderr = stderr;
        _exited = WaitAsync();
    }

    public override Task<int> Exited => _exited;

    private async Task<int> WaitAsync()
    {
        await _runc.WaitForExitAsync().ConfigureAwait(false);
        TryDelete(_pidFile);
        TryDelete(Path.ChangeExtension(_pidFile, ".json"));
        return _runc.ExitCode;
    }

    /// <param name="runc">runc's path.</param>
    /// <param name="id">The container.</param>
    /// <param name="scratchDir">Where the pid file goes (the container's bundle).</param>
    public static RuncExecProcess Start(string runc, string id, string scratchDir, ExecOptions options)
    {
        if (options.Command.Count == 0) throw new ArgumentException("no command", nameof(options));
        var pidFile = Path.Combine(scratchDir, $"exec-{Guid.NewGuid():N}.pid");
        var runcArgs = new List<string> { "exec", "--pid-file", pidFile };
        if (options.Tty)
        {
            // A process file carries the terminal size, which runc sets before the command starts.
            runcArgs.Add("--process");
            runcArgs.Add(WriteProcessFile(scratchDir, pidFile, options));
            runcArgs.Add(id);
        }
        else
        {
            runcArgs.Add(id);
            runcArgs.AddRange(options.Command);
        }

        if (!options.Tty)
        {
            var psi = new ProcessStartInfo(runc)
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in runcArgs) psi.ArgumentList.Add(a);
            var p = Process.Start(psi) ?? throw new IOException("cannot start runc");
            Stream? stdin = p.StandardInput.BaseStream;
            if (!options.Stdin)
            {
                p.StandardInput.Close();
                stdin = null;
            }
            // Streams not asked for are still drained (by the reader) so the process never blocks on a full pipe.
            return new RuncExecProcess(p, null, pidFile, stdin, p.StandardOutput.BaseStream, p.StandardError.BaseStream);
        }

        var pty = Pty.Open();
        try
        {
            if (options.Width > 0 && options.Height > 0) pty.Resize(options.Width, options.Height);
            // The shell opens the slave by path as runc's stdio, so this process never holds a slave descriptor
            // (the master reads EOF once runc has gone).
            var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("exec \"$0\" \"$@\" <\"$ANVIL_PTS\" >\"$ANVIL_PTS\" 2>&1");
            psi.ArgumentList.Add(runc);
            foreach (var a in runcArgs) psi.ArgumentList.Add(a);
            psi.Environment["ANVIL_PTS"] = pty.SlavePath;
            var p = Process.Start(psi) ?? throw new IOException("cannot start runc");
            p.StandardInput.Close();
            return new RuncExecProcess(p, pty, pidFile, options.Stdin ? pty.OpenMaster(FileAccess.Write) : null, pty.OpenMaster(FileAccess.Read), null);
        }
        catch
        {
            pty.Dispose();
            throw;
        }
    }

    /// <summary>The container's own process (env, cwd, user, capabilities) with the command and a terminal.</summary>
    private static string WriteProcessFile(string bundle, string pidFile, ExecOptions options)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json"))) as JsonObject
            ?? throw new IOException("the container's config.json is not an object");
        var process = config["process"]?.DeepClone() as JsonObject ?? new JsonObject { ["cwd"] = "/" };
        process["args"] = new JsonArray(options.Command.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        process["terminal"] = true;
        process.Remove("consoleSize");
        if (options.Width > 0 && options.Height > 0)
            process["consoleSize"] = new JsonObject { ["height"] = options.Height, ["width"] = options.Width };
        var path = Path.ChangeExtension(pidFile, ".json");
        File.WriteAllText(path, process.ToJsonString());
        return path;
    }

    public override void Resize(ushort width, ushort height)
    {
        if (_pty == null || _runc.HasExited) return;
        _pty.Resize(width, height);
        kill(_runc.Id, SIGWINCH);
        // runc handles SIGWINCH once it is set up; one that comes earlier is lost, so repeat it once the command runs.
        if (!File.Exists(_pidFile)) _ = ResignalWhenStartedAsync();
    }

    private async Task ResignalWhenStartedAsync()
    {
        for (var i = 0; i < 100 && !_runc.HasExited; i++)
        {
            if (File.Exists(_pidFile))
            {
                kill(_runc.Id, SIGWINCH);
                return;
            }
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    public override void Kill()
    {
        if (_runc.HasExited) return;
        // The process in the container first: killing runc alone would leave it running.
        if (File.Exists(_pidFile) && int.TryParse(ReadOr(_pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 1)
            kill(pid, SIGKILL);
        try { _runc.Kill(); } catch (InvalidOperationException) { }
    }

    public override async ValueTask DisposeAsync()
    {
        Kill();
        try { await _exited.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); }
        catch (TimeoutException) { }
        foreach (var s in new[] { Stdin, Stdout, Stderr })
            if (s != null) await s.DisposeAsync().ConfigureAwait(false);
        _pty?.Dispose();
        _runc.Dispose();
        TryDelete(_pidFile);
    }

    private static string ReadOr(string path)
    {
        try { return File.ReadAllText(path); } catch (IOException) { return ""; }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { }
    }
}
