using System.Diagnostics;
using System.Runtime.InteropServices;
using Anvil.Bench.Measurement;

namespace Anvil.Bench.ApiServer;

/// <summary>
/// Memory of the real thing: starts <c>anvil up</c> (API server and controllers) as its own process on a
/// fresh data dir, waits for its ready line, reads its VmRSS after an idle period, then stops it with SIGTERM.
/// </summary>
internal sealed class AnvilUpProbe(string dataDir, TimeSpan idle)
{
    public long RssBytes { get; private set; } = -1;
    public double StartSeconds { get; private set; }
    public string? Error { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "anvil.dll");
        if (!File.Exists(dll))
        {
            Error = $"{dll} not found";
            return;
        }
        var info = new ProcessStartInfo(DotnetHost(), [dll, "up", "--data-dir", dataDir, "--port", Ports.Free().ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start anvil up");
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tail = new Queue<string>();
        void Keep(string? line)
        {
            if (line == null) return;
            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 20) tail.Dequeue();
            }
            if (line.StartsWith("anvil: ready", StringComparison.Ordinal)) ready.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var exited = process.WaitForExitAsync(ct);
            var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(90), ct)).ConfigureAwait(false);
            if (first != ready.Task)
            {
                string lines;
                lock (tail) lines = string.Join(" | ", tail);
                Error = process.HasExited ? $"anvil up exited with {process.ExitCode}: {lines}" : $"anvil up not ready within 90 s: {lines}";
                return;
            }
            StartSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await Task.Delay(idle, ct).ConfigureAwait(false);
            RssBytes = ProcessMemory.RssBytes(process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            await StopAsync(process).ConfigureAwait(false);
        }
    }

    private static async Task StopAsync(Process process)
    {
        if (process.HasExited) return;
        Native.kill(process.Id, Native.SIGTERM);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"anvil-bench: anvil up (pid {process.Id}) ignored SIGTERM for 20 s; killing it");
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The dotnet host running this process (…/dotnet/shared/Microsoft.NETCore.App/x.y.z → …/dotnet/dotnet).</summary>
    private static string DotnetHost()
    {
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/');
        var candidate = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", "..", "dotnet"));
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}
