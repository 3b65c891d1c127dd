namespace Anvil.Node.Runtime;

/// <summary>A container as the runtime sees it now; <see cref="Reason"/> is "OOMKilled" when the kernel killed it.</summary>
public sealed record ContainerStatus(
    string Id,
    string PodUid,
    string PodNamespace,
    string PodName,
    string Name,
    int Attempt,
    string Image,
    ContainerState State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int ExitCode,
    string Reason,
    string LogPath);
