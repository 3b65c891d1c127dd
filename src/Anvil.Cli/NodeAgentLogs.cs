using System.Runtime.CompilerServices;
using System.Text;
using Anvil.ApiServer.Endpoints;
using Anvil.Node.Logs;
using Anvil.Node.Pods;
using Anvil.Node.Runtime;

namespace Anvil.Cli;

/// <summary>The in-process node agent as the API server's log source for its node.</summary>
internal sealed class NodeAgentLogs(NodeAgent agent) : INodeLogs
{
    /// <summary>How often a followed log file is checked for new lines.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public Task<string?> ReadAsync(ContainerLogRequest r, CancellationToken ct) =>
        agent.ReadLogAsync(r.Namespace, r.Pod, r.Container, r.Previous, Options(r), ct);

    public async IAsyncEnumerable<string> FollowAsync(ContainerLogRequest r, [EnumeratorCancellation] CancellationToken ct)
    {
        var container = (await agent.Runtime.ListContainersAsync(null, ct).ConfigureAwait(false))
            .Where(c => c.PodNamespace == r.Namespace && c.PodName == r.Pod && c.Name == r.Container)
            .OrderByDescending(c => c.Attempt).FirstOrDefault();
        if (container == null || !File.Exists(container.LogPath)) yield break;

        await using var file = new FileStream(container.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(file, Encoding.UTF8);
        var partial = new StringBuilder();
        var first = await ReadCompleteLinesAsync(reader, partial, ct).ConfigureAwait(false);
        var opening = CriLog.Render(first, Options(r));
        if (opening.Length > 0) yield return opening;
        // Only the timestamps option applies to lines that arrive later (tail and since chose the start).
        var later = new LogOptions(Timestamps: r.Timestamps);
        while (!ct.IsCancellationRequested)
        {
            var stopped = (await agent.Runtime.ContainerStatusAsync(container.Id, ct).ConfigureAwait(false))?.State != ContainerState.Running;
            var lines = await ReadCompleteLinesAsync(reader, partial, ct).ConfigureAwait(false);
            var text = lines.Count > 0 ? CriLog.Render(lines, later) : "";
            if (text.Length > 0) yield return text;
            if (stopped) yield break;
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
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

    private static LogOptions Options(ContainerLogRequest r) => new(r.TailLines, r.SinceSeconds, r.Timestamps, r.LimitBytes);
}
