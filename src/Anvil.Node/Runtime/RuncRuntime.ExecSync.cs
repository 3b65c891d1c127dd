using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Anvil.Node.Runtime;

public sealed partial class RuncRuntime
{
    /// <summary>Output kept per stream: the kubelet keeps 10 KiB of a probe's output; the rest is read and dropped.</summary>
    public const int ExecOutputLimit = 16 * 1024;

    public async Task<ExecSyncResult> ExecSyncAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct)
    {
        if (command.Count == 0) throw new ArgumentException("exec needs a command", nameof(command));
        var pidFile = Path.Combine(Bundle(containerId), $"exec-{Guid.NewGuid():N}.pid");
        var psi = new ProcessStartInfo(_runc) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "exec", "--pid-file", pidFile, containerId }.Concat(command)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new IOException($"cannot start {_runc}");
        try
        {
            p.StandardInput.Close();
            var stdout = ReadBoundedAsync(p.StandardOutput.BaseStream);
            var stderr = ReadBoundedAsync(p.StandardError.BaseStream);
            var timedOut = false;
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                deadline.CancelAfter(timeout);
                try
                {
                    await p.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    timedOut = true;
                }
                catch (OperationCanceledException)
                {
                    await KillAsync(p, pidFile).ConfigureAwait(false);
                    throw;
                }
            }
            if (timedOut)
            {
                await KillAsync(p, pidFile).ConfigureAwait(false);
                await p.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }
            // The pipes close when runc and the process inside (and anything it left behind holding them) are gone.
            var output = Task.WhenAll(stdout, stderr);
            await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
            var o = stdout.IsCompletedSuccessfully ? stdout.Result : "";
            var e = stderr.IsCompletedSuccessfully ? stderr.Result : "";
            return new ExecSyncResult(timedOut ? -1 : p.ExitCode, o, e, timedOut);
        }
        finally
        {
            try { File.Delete(pidFile); } catch (IOException) { }
        }
    }

    /// <summary>
    /// SIGKILL to the process in the container (runc exec does not pass it on), then to runc itself once it had a
    /// moment to reap that process and exit: killed first, runc would leave it a zombie for the container's init.
    /// </summary>
    private static async Task KillAsync(Process runcExec, string pidFile)
    {
        try
        {
            if (int.TryParse(File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : "", NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) && pid > 1)
            {
                Process.GetProcessById(pid).Kill();
                await runcExec.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or TimeoutException)
        {
        }
        try { runcExec.Kill(true); } catch (InvalidOperationException) { }
    }

    private static async Task<string> ReadBoundedAsync(Stream s)
    {
        var kept = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = await s.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            var room = ExecOutputLimit - (int)kept.Length;
            if (room > 0) kept.Write(buffer, 0, Math.Min(room, n));
        }
        return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
    }
}
