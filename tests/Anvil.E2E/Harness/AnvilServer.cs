using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Anvil.E2E.Harness;

/// <summary>
/// A real <c>anvil up</c> child process on a free loopback port with its own temporary data dir.
/// Used as a class fixture: one server per test class, each test in its own namespace. It runs with
/// <c>--no-node</c> (no containers) unless it is an <see cref="AnvilNodeServer"/>.
/// </summary>
public class AnvilServer : IAsyncLifetime
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly StringBuilder _output = new();
    private readonly object _outputLock = new();
    private Process? _process;
    private TaskCompletionSource<string>? _ready;

    public string DataDir { get; } = Directory.CreateTempSubdirectory("anvil-e2e-").FullName;

    public int Port { get; private set; }

    public string Url => $"https://127.0.0.1:{Port}";

    /// <summary>The node agent's kubelet API port (node servers only; kept across restarts).</summary>
    public int KubeletPort { get; private set; }

    public string KubeconfigPath => Path.Combine(DataDir, "admin.kubeconfig");

    /// <summary>Everything the server printed so far (all runs), for failure messages.</summary>
    /// <summary>The running server's pid (0 when stopped), for tests that signal it or read its /proc status.</summary>
    public int Pid => _process is { HasExited: false } p ? p.Id : 0;

    public string Output
    {
        get { lock (_outputLock) return _output.ToString(); }
    }

    public async Task InitializeAsync()
    {
        // A port picked by binding :0 can be taken again before the server binds it; retry on another.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            try
            {
                await StartAsync().ConfigureAwait(false);
                return;
            }
            catch (ServerStartException) when (attempt < 3 && Output.Contains("cannot listen", StringComparison.Ordinal))
            {
            }
        }
    }

    /// <summary>Whether <c>anvil up</c> runs its node agent (real containers through runc).</summary>
    protected virtual bool WithNode => false;

    /// <summary>Further <c>anvil up</c> flags of a fixture (e.g. Toolforge's <c>--homes</c>).</summary>
    protected virtual IEnumerable<string> ExtraArgs => [];

    /// <summary>Removes what the run left on the host beyond its data dir (after the server stopped).</summary>
    protected virtual Task CleanupHostAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        // The agent leaves containers running on shutdown; this run's (bundles under the data dir) go now.
        if (WithNode) await NodeCleanup.RemoveContainersUnderAsync(DataDir).ConfigureAwait(false);
        await CleanupHostAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Stops the server with SIGTERM and starts it again on the same data dir and port.</summary>
    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        // The port was just released by our own process; Kestrel sets SO_REUSEADDR, but retry briefly anyway.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartAsync().ConfigureAwait(false);
                return;
            }
            catch (ServerStartException) when (attempt < 5 && Output.Contains("cannot listen", StringComparison.Ordinal))
            {
                await Task.Delay(500).ConfigureAwait(false);
            }
        }
    }

    private async Task StartAsync()
    {
        var anvilDll = Path.Combine(AppContext.BaseDirectory, "anvil.dll");
        if (!File.Exists(anvilDll)) throw new FileNotFoundException("anvil.dll is not next to the test assembly", anvilDll);

        // Without a node, the server starts as under nohup (SIGHUP ignored), as daemons often are: it must still reload
        // its encryption configuration on SIGHUP (DataProtectionTests).
        var nohup = !WithNode && File.Exists("/usr/bin/nohup");
        var psi = new ProcessStartInfo(nohup ? "/usr/bin/nohup" : DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = DataDir,
        };
        if (nohup) psi.ArgumentList.Add(DotnetHost());
        foreach (var a in new[] { anvilDll, "up", "--data-dir", DataDir, "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1" })
            psi.ArgumentList.Add(a);
        foreach (var a in ExtraArgs) psi.ArgumentList.Add(a);
        if (!WithNode)
        {
            psi.ArgumentList.Add("--no-node");
        }
        else
        {
            // Each node server's kubelet API on its own free port (10250 would be shared by parallel classes).
            if (KubeletPort == 0) KubeletPort = FreePort();
            psi.ArgumentList.Add("--kubelet-port");
            psi.ArgumentList.Add(KubeletPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ready = ready;
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            Append("out", e.Data);
            if (e.Data.StartsWith("anvil: ready at ", StringComparison.Ordinal)) ready.TrySetResult(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) Append("err", e.Data);
        };
        process.Exited += (_, _) => ready.TrySetException(new ServerStartException("exited"));
        Append("harness", $"starting {psi.FileName} {string.Join(' ', psi.ArgumentList)}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var winner = await Task.WhenAny(ready.Task, Task.Delay(ReadyTimeout)).ConfigureAwait(false);
        if (winner != ready.Task || ready.Task.IsFaulted)
        {
            var why = winner != ready.Task ? $"no ready line within {ReadyTimeout.TotalSeconds:0} s" : $"exited with code {SafeExitCode(process)}";
            await StopAsync().ConfigureAwait(false);
            throw new ServerStartException($"anvil up did not become ready ({why}). Output:\n{Output}");
        }
        var line = ready.Task.Result;
        var expected = $"anvil: ready at {Url} (kubeconfig {KubeconfigPath})";
        if (line != expected)
            throw new ServerStartException($"unexpected ready line:\n  {line}\nexpected:\n  {expected}");
    }

    private async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        try
        {
            if (!process.HasExited)
            {
                _ = kill(process.Id, SIGTERM);
                using var cts = new CancellationTokenSource(StopTimeout);
                try
                {
                    await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
                    Append("harness", $"stopped with exit code {process.ExitCode}");
                }
                catch (OperationCanceledException)
                {
                    Append("harness", $"did not stop within {StopTimeout.TotalSeconds:0} s of SIGTERM; killing");
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    private void Append(string stream, string line)
    {
        lock (_outputLock) _output.Append('[').Append(stream).Append("] ").AppendLine(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return fromSdk;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }

    private static string SafeExitCode(Process p)
    {
        try
        {
            return p.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    private const int SIGTERM = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
