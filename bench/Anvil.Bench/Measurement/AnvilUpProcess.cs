using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Anvil.Bench.ApiServer;

namespace Anvil.Bench.Measurement;

/// <summary>
/// <c>anvil up</c> as its own process on a data dir: started from the anvil.dll beside the benchmark, ready when it
/// prints its ready line, stopped with SIGTERM (killed after 20 s). The last lines of its output explain failures.
/// </summary>
internal sealed class AnvilUpProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AnvilUpProcess(Process process)
    {
        _process = process;
        // A bench stopped from outside (SIGTERM, Ctrl-C) takes its anvil up along; left running, it kept its pods
        // and used CPU under the next measurements. The signal's default action (ending the bench) still follows.
        _signals = [.. new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP }.Select(s => PosixSignalRegistration.Create(s, StopChild))];
    }

    private readonly PosixSignalRegistration[] _signals;

    private void StopChild(PosixSignalContext context)
    {
        try
        {
            if (!_process.HasExited) Native.kill(_process.Id, Native.SIGTERM);
        }
        catch (InvalidOperationException) { } // already disposed
    }

    public int Pid => _process.Id;
    public int Port { get; private init; }
    public string DataDir { get; private init; } = "";
    public double StartSeconds { get; private set; }

    /// <summary>Starts <c>anvil up --data-dir D --port P [extra]</c> and waits for its ready line.</summary>
    public static async Task<AnvilUpProcess> StartAsync(string dataDir, IEnumerable<string> extraArgs, TimeSpan timeout, CancellationToken ct)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "anvil.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} not found");
        var port = Ports.Free();
        var info = new ProcessStartInfo(DotnetHost(), [dll, "up", "--data-dir", dataDir, "--port", port.ToString(CultureInfo.InvariantCulture), .. extraArgs])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var up = new AnvilUpProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start anvil up")) { Port = port, DataDir = dataDir };
        up._process.OutputDataReceived += (_, e) => up.Keep(e.Data);
        up._process.ErrorDataReceived += (_, e) => up.Keep(e.Data);
        up._process.BeginOutputReadLine();
        up._process.BeginErrorReadLine();
        var started = Stopwatch.GetTimestamp();
        var exited = up._process.WaitForExitAsync(ct);
        var first = await Task.WhenAny(up._ready.Task, exited, Task.Delay(timeout, ct)).ConfigureAwait(false);
        if (first != up._ready.Task)
        {
            var why = up._process.HasExited ? $"anvil up exited with {up._process.ExitCode}" : $"anvil up not ready within {timeout.TotalSeconds:0} s";
            var tail = up.Tail();
            await up.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"{why}: {tail}");
        }
        up.StartSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return up;
    }

    /// <summary>ANVIL_BENCH_UP_LOG=FILE: every line anvil up prints is also appended there (with ANVIL_LOG_LEVEL=Debug: the node's startup phases).</summary>
    private static readonly string? s_logFile = Environment.GetEnvironmentVariable("ANVIL_BENCH_UP_LOG") is { Length: > 0 } f ? f : null;

    private void Keep(string? line)
    {
        if (line == null) return;
        lock (_tail)
        {
            if (s_logFile != null) File.AppendAllText(s_logFile, line + "\n");
            _tail.Enqueue(line);
            if (_tail.Count > 20) _tail.Dequeue();
        }
        if (line.StartsWith("anvil: ready", StringComparison.Ordinal)) _ready.TrySetResult();
    }

    public string Tail()
    {
        lock (_tail) return string.Join(" | ", _tail);
    }

    /// <summary>User plus system CPU time the process has used so far (/proc/PID/stat, clock ticks of 10 ms).</summary>
    public TimeSpan CpuTime()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields overall.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            return TimeSpan.Zero;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var registration in _signals) registration.Dispose();
        if (!_process.HasExited)
        {
            Native.kill(_process.Id, Native.SIGTERM);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"anvil-bench: anvil up (pid {_process.Id}) ignored SIGTERM for 20 s; killing it");
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        _process.Dispose();
    }

    /// <summary>The dotnet host running this process (…/dotnet/shared/Microsoft.NETCore.App/x.y.z → …/dotnet/dotnet).</summary>
    private static string DotnetHost()
    {
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/');
        var candidate = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", "..", "dotnet"));
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}
