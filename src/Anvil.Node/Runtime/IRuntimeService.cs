namespace Anvil.Node.Runtime;

/// <summary>
/// The container runtime seam, shaped like CRI's RuntimeService (RunPodSandbox … ContainerStatus) so a real CRI
/// client could stand behind it later. Status always comes from the runtime's own records, never from memory,
/// so an agent that restarts sees the same containers.
/// </summary>
public interface IRuntimeService
{
    /// <summary>Runtime name and version as containerStatuses report it: ("runc", "1.1.5").</summary>
    (string Name, string Version) Version { get; }

    Task<string> RunPodSandboxAsync(PodSandboxConfig config, CancellationToken ct);

    /// <summary>Stops every container of the pod (grace 0) and releases its sandbox resources.</summary>
    Task StopPodSandboxAsync(string podUid, CancellationToken ct);

    Task<string> CreateContainerAsync(ContainerConfig config, CancellationToken ct);

    Task StartContainerAsync(string id, CancellationToken ct);

    /// <summary>SIGTERM, then SIGKILL once <paramref name="timeout"/> has passed; returns when it has exited.</summary>
    Task StopContainerAsync(string id, TimeSpan timeout, CancellationToken ct);

    Task RemoveContainerAsync(string id, CancellationToken ct);

    /// <summary>Containers of one pod (or all when <paramref name="podUid"/> is null), from the runtime's records.</summary>
    Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? podUid, CancellationToken ct);

    Task<ContainerStatus?> ContainerStatusAsync(string id, CancellationToken ct);

    /// <summary>Starts a command in a running container with streams (CRI's Exec, served by the kubelet's /exec).</summary>
    Task<global::Anvil.Node.Exec.ExecProcess> ExecAsync(string id, global::Anvil.Node.Exec.ExecOptions options, CancellationToken ct);
    /// <summary>
    /// Attaches to a running container's main process (CRI's Attach, served by the kubelet's /attach). Whether it has a
    /// terminal comes from the container (<see cref="ContainerStdioAsync"/>), not from <paramref name="options"/>.
    /// </summary>
    Task<global::Anvil.Node.Exec.ExecProcess> AttachAsync(string id, global::Anvil.Node.Exec.ExecOptions options, CancellationToken ct) =>
        throw new NotSupportedException("attach is not supported by this runtime");

    /// <summary>How the container's stdio was set up (stdin, stdinOnce, tty).</summary>
    Task<ContainerStdio> ContainerStdioAsync(string id, CancellationToken ct) => Task.FromResult(ContainerStdio.None);

    /// <summary>
    /// Runs <paramref name="command"/> in a running container and waits for it (CRI ExecSync, used by exec probes):
    /// output is bounded, and the command is killed once <paramref name="timeout"/> has passed.
    /// </summary>
    Task<ExecSyncResult> ExecSyncAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct);
    /// <summary>The pod's own address from its sandbox (CRI's PodSandboxStatus network); null on the host network.</summary>
    Task<string?> PodSandboxIPAsync(string podUid, CancellationToken ct) => Task.FromResult<string?>(null);

    /// <summary>The path of the pod's network namespace (port-forward dials inside it); null on the host network.</summary>
    Task<string?> PodSandboxNetnsAsync(string podUid, CancellationToken ct) => Task.FromResult<string?>(null);

    /// <summary>Pod uids that have a sandbox, so orphans (pods deleted while the agent was down) can be stopped.</summary>
    Task<IReadOnlyList<string>> ListPodSandboxesAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([]);
}
