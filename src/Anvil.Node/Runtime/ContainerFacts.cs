namespace Anvil.Node.Runtime;

/// <summary>
/// What the runtime knows of a container that never changes once its file is written: the meta, where its bundle is,
/// the pids of its init and of its conmon, when it started and, once it has exited, its final status. Kept in memory
/// after the first read (or the create), so that relists, which every pod sync and stop makes, do not read each
/// container's files again. Replaced, never changed, so readers need no lock.
/// </summary>
internal sealed record ContainerFacts(ContainerMeta Meta, string Bundle)
{
    /// <summary>The container's init process; 0 until runc has written its pid file.</summary>
    public int Pid { get; init; }

    /// <summary>conmon's pid as its pid file says it (compared with the init's parent); empty until known.</summary>
    public string ConmonPid { get; init; } = "";

    public DateTimeOffset? Started { get; init; }

    /// <summary>The status once conmon recorded the exit: nothing changes after that.</summary>
    public ContainerStatus? Final { get; init; }
}
