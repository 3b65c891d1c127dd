namespace Anvil.Node.Exec;

/// <summary>
/// A process started in a container by <c>exec</c>: its streams (null when not asked for), its exit, and the
/// controls a remote terminal needs. With a tty, <see cref="Stdout"/> carries the terminal's output and
/// <see cref="Stderr"/> is null. Disposing kills the process if it still runs.
/// </summary>
public abstract class ExecProcess : IAsyncDisposable
{
    public Stream? Stdin { get; protected init; }
    public Stream? Stdout { get; protected init; }
    public Stream? Stderr { get; protected init; }

    /// <summary>The exit code (128 + n for a signal n), once the process has ended.</summary>
    public abstract Task<int> Exited { get; }

    /// <summary>Sets the terminal size (no-op without a tty).</summary>
    public abstract void Resize(ushort width, ushort height);

    /// <summary>Kills the process (SIGKILL) if it still runs; an attach session detaches instead.</summary>
    public abstract void Kill();

    public abstract ValueTask DisposeAsync();
}
