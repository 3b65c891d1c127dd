namespace Anvil.Node.Runtime;

/// <summary>
/// What a command run in a container left (CRI ExecSyncResponse): its exit code and output, each cut at
/// <see cref="IRuntimeService.ExecSyncAsync"/>'s bound; <see cref="TimedOut"/> when it was killed at the deadline.
/// </summary>
public sealed record ExecSyncResult(int ExitCode, string Stdout, string Stderr, bool TimedOut);
