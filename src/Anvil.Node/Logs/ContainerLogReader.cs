using System.Runtime.CompilerServices;
using System.Text;
using Anvil.Node.Runtime;

namespace Anvil.Node.Logs;

/// <summary>
/// Reads a container's CRI log file as the kubelet's /containerLogs serves it: the latest instance of the
/// container or, with previous, the one before; whole, or followed while the container runs.
/// </summary>
public sealed class ContainerLogReader(IRuntimeService runtime)
{
    /// <summary>How often a followed log file is checked for new lines.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The container instance whose log is asked for, or null when there is none.</summary>
    public async Task<ContainerStatus?> FindAsync(string ns, string pod, string container, bool previous, CancellationToken ct)
    {
        var all = (await runtime.ListContainersAsync(null, ct).ConfigureAwait(false))
            .Where(c => c.PodNamespace == ns && c.PodName == pod && c.Name == container).OrderByDescending(c => c.Attempt).ToList();
        return previous ? all.Skip(1).FirstOrDefault() : all.FirstOrDefault();
    }

    /// <summary>
    /// The rendered log in chunks: what is there now, then (with <paramref name="follow"/>) new lines until the
    /// container stops or <paramref name="ct"/> is cancelled. limitBytes bounds the whole output.
    /// </summary>
    public async IAsyncEnumerable<string> ReadAsync(ContainerStatus container, LogOptions options, bool follow, [EnumeratorCancellation] CancellationToken ct)
    {
        if (!File.Exists(container.LogPath)) yield break;
        await using var file = new FileStream(container.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(file, Encoding.UTF8);
        var partial = new StringBuilder();
        var remaining = options.LimitBytes ?? long.MaxValue;
        var first = await ReadCompleteLinesAsync(reader, partial, ct).ConfigureAwait(false);
        var opening = Limit(CriLog.Render(first, options with { LimitBytes = null }), ref remaining);
        if (opening.Length > 0) yield return opening;
        if (!follow || remaining == 0) yield break;
        // Only the timestamps option applies to lines that arrive later (tail and since chose the start).
        var later = new LogOptions(Timestamps: options.Timestamps);
        while (!ct.IsCancellationRequested && remaining > 0)
        {
            var stopped = (await runtime.ContainerStatusAsync(container.Id, ct).ConfigureAwait(false))?.State != ContainerState.Running;
            var lines = await ReadCompleteLinesAsync(reader, partial, ct).ConfigureAwait(false);
            var text = lines.Count > 0 ? Limit(CriLog.Render(lines, later), ref remaining) : "";
            if (text.Length > 0) yield return text;
            if (stopped) yield break;
            if (!await DelayAsync(PollInterval, ct).ConfigureAwait(false)) yield break;
        }
    }

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Cuts <paramref name="text"/> to the bytes left of limitBytes.</summary>
    private static string Limit(string text, ref long remaining)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes <= remaining)
        {
            remaining -= bytes;
            return text;
        }
        var cut = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text), 0, (int)remaining);
        remaining = 0;
        return cut;
    }

    /// <summary>Reads the lines written so far, keeping a trailing partial line in <paramref name="partial"/>.</summary>
    private static async Task<List<string>> ReadCompleteLinesAsync(StreamReader reader, StringBuilder partial, CancellationToken ct)
    {
        var lines = new List<string>();
        var buffer = new char[8192];
        int n;
        while ((n = await reader.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            for (var i = 0; i < n; i++)
            {
                if (buffer[i] == '\n')
                {
                    lines.Add(partial.ToString());
                    partial.Clear();
                }
                else
                {
                    partial.Append(buffer[i]);
                }
            }
        }
        return lines;
    }
}
