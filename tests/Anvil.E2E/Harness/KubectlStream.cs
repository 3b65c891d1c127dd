using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace Anvil.E2E.Harness;

/// <summary>A kubectl that keeps running (<c>get -w</c>); its stdout lines are read as they arrive. Dispose kills it.</summary>
public sealed class KubectlStream : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _seen = [];

    internal KubectlStream(Process process, string command)
    {
        _process = process;
        Command = command;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) _lines.Writer.TryComplete();
            else _lines.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Command { get; }

    /// <summary>Lines read so far through <see cref="NextLineAsync"/> / <see cref="WaitForLineAsync"/>.</summary>
    public IReadOnlyList<string> Seen => _seen;

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>The next stdout line, or a test failure when none comes within <paramref name="timeout"/> or kubectl exits.</summary>
    public async Task<string> NextLineAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (await _lines.Reader.WaitToReadAsync(cts.Token).ConfigureAwait(false) && _lines.Reader.TryRead(out var line))
            {
                _seen.Add(line);
                return line;
            }
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"no further line within {timeout.TotalSeconds:0} s\n{Describe()}");
        }
        throw new Xunit.Sdk.XunitException($"kubectl ended its output\n{Describe()}");
    }

    /// <summary>Reads lines until one matches; fails after <paramref name="timeout"/> in total.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new Xunit.Sdk.XunitException($"no matching line within {timeout.TotalSeconds:0} s\n{Describe()}");
            var line = await NextLineAsync(left).ConfigureAwait(false);
            if (match(line)) return line;
        }
    }

    /// <summary>
    /// Waits for kubectl to exit (a test failure after <paramref name="timeout"/>); returns its exit code and the stdout
    /// lines not read yet.
    /// </summary>
    public async Task<(int ExitCode, List<string> Unread)> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            var rest = new List<string>();
            await foreach (var line in _lines.Reader.ReadAllAsync(cts.Token).ConfigureAwait(false))
            {
                _seen.Add(line);
                rest.Add(line);
            }
            return (_process.ExitCode, rest);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"kubectl did not exit within {timeout.TotalSeconds:0} s\n{Describe()}");
        }
    }

    public string Describe()
    {
        var exit = _process.HasExited ? _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "still running";
        return $"$ {Command}\nexit code: {exit}\n--- stdout lines read ---\n{string.Join('\n', _seen)}\n--- stderr ---\n{Stderr}--------------";
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
