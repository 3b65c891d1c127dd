using System.Text.Json.Nodes;

namespace Anvil.Node.Runtime;

/// <summary>
/// How a container's main process is wired for <c>attach</c>, from the pod spec's <c>stdin</c>, <c>stdinOnce</c> and
/// <c>tty</c>: with <see cref="Stdin"/> the runtime keeps a stdin pipe (or terminal) that attach sessions write to;
/// with <see cref="StdinOnce"/> it is closed when the first attach session ends.
/// </summary>
public sealed record ContainerStdio(bool Stdin, bool StdinOnce, bool Tty)
{
    public static readonly ContainerStdio None = new(false, false, false);

    /// <summary>From a pod spec container (absent fields are false).</summary>
    public static ContainerStdio From(JsonObject container)
    {
        static bool Flag(JsonNode? n) => n is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        return new ContainerStdio(Flag(container["stdin"]), Flag(container["stdinOnce"]), Flag(container["tty"]));
    }
}
