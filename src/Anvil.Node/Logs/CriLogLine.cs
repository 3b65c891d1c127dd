namespace Anvil.Node.Logs;

/// <summary>One line of a CRI log: time, stream (stdout/stderr), whether it ends a line (F) or is partial (P), text.</summary>
public sealed record CriLogLine(DateTimeOffset Time, string Stream, bool Full, string Text);
