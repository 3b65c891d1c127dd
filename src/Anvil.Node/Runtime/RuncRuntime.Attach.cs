using System.Text.Json;
using Anvil.Node.Exec;

namespace Anvil.Node.Runtime;

/// <summary>
/// Attach to a container's main process, as CRI-O does with conmon: containers whose spec asks for stdin are made
/// with conmon's <c>--stdin</c> (and <c>--leave-stdin-open</c> unless stdinOnce), tty ones with <c>--terminal</c>;
/// conmon then serves the process's streams on its attach socket (<see cref="ConmonAttach"/>). How the container was
/// made is kept in its bundle (<c>stdio.json</c>) for later attaches, also after an agent restart.
/// </summary>
public sealed partial class RuncRuntime
{
    private const string StdioFile = "stdio.json";

    /// <summary>conmon's flags for the container's stdio.</summary>
    internal static IEnumerable<string> ConmonStdioArgs(ContainerStdio? stdio)
    {
        if (stdio == null) yield break;
        if (stdio.Stdin)
        {
            yield return "--stdin";
            if (!stdio.StdinOnce) yield return "--leave-stdin-open";
        }
        if (stdio.Tty) yield return "--terminal";
    }

    private static void WriteStdio(string bundle, ContainerStdio? stdio) =>
        File.WriteAllText(Path.Combine(bundle, StdioFile), JsonSerializer.Serialize(stdio ?? ContainerStdio.None));

    public async Task<ContainerStdio> ContainerStdioAsync(string id, CancellationToken ct)
    {
        try
        {
            var text = await File.ReadAllTextAsync(Path.Combine(Bundle(id), StdioFile), ct).ConfigureAwait(false);
            return JsonSerializer.Deserialize<ContainerStdio>(text) ?? ContainerStdio.None;
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            // Containers made before attach existed have no record: they were made without stdin or a tty.
            return ContainerStdio.None;
        }
    }

    public async Task<ExecProcess> AttachAsync(string id, ExecOptions options, CancellationToken ct)
    {
        var stdio = await ContainerStdioAsync(id, ct).ConfigureAwait(false);
        return await ConmonAttachProcess.ConnectAsync(Bundle(id), stdio, options, ct).ConfigureAwait(false);
    }
}
