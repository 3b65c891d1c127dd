namespace Anvil.Node.Exec;

/// <summary>
/// A command to run in a running container, with the streams the client asked for (kubelet's
/// remotecommand options). With <see cref="Tty"/> the process gets a terminal and stderr joins stdout.
/// </summary>
public sealed record ExecOptions(IReadOnlyList<string> Command, bool Stdin, bool Stdout, bool Stderr, bool Tty)
{
    /// <summary>Terminal size before the first resize message (0: leave the kernel default).</summary>
    public ushort Width { get; init; }
    public ushort Height { get; init; }
}
