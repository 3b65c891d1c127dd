using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.Pods;

/// <summary>
/// Where a pod's first start spends its time: milliseconds per phase from the moment the agent's watch delivered
/// the pod, logged once at Debug when the first status with every container started is written
/// (<c>ANVIL_LOG_LEVEL=Debug anvil up</c>). Off the log level, a mark costs a timestamp.
/// </summary>
internal sealed class StartupTrace(ILogger log)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly StringBuilder _phases = new();
    private long _last = Stopwatch.GetTimestamp();
    private bool _done;

    /// <summary>The phase that just ended.</summary>
    public void Mark(string phase)
    {
        if (_done || !log.IsEnabled(LogLevel.Debug)) return;
        var now = Stopwatch.GetTimestamp();
        _phases.Append(' ').Append(phase).Append('=').Append(Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture));
        _last = now;
    }

    /// <summary>Logs the phases once; later calls do nothing.</summary>
    public void Finish(string pod)
    {
        if (_done) return;
        _done = true;
        if (!log.IsEnabled(LogLevel.Debug)) return;
        log.LogDebug("pod startup pod={Pod} total_ms={Total} phases:{Phases}", pod,
            Stopwatch.GetElapsedTime(_start).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture), _phases.ToString());
    }
}
