namespace Anvil.Node.Logs;

/// <summary>
/// PodLogOptions the node serves: tailLines, sinceSeconds or sinceTime, timestamps, limitBytes (follow and previous
/// are the caller's).
/// </summary>
public sealed record LogOptions(long? TailLines = null, long? SinceSeconds = null, bool Timestamps = false, long? LimitBytes = null,
    DateTimeOffset? SinceTime = null);
