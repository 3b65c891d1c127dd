namespace Anvil.Node.Runtime;

/// <summary>
/// A container to create: identity (pod uid, name, attempt), image rootfs and process. <see cref="TargetContainerId"/>
/// names the running container whose process namespace this one joins (an ephemeral container's
/// <c>targetContainerName</c>, so <c>kubectl debug --target</c> sees the target's processes).
/// </summary>
public sealed record ContainerConfig(
    string PodUid,
    string PodNamespace,
    string PodName,
    string Name,
    int Attempt,
    string Image,
    string ImageRootfs,
    IReadOnlyList<string> Args,
    IReadOnlyList<string> Env,
    string WorkingDir = "/",
    uint Uid = 0,
    uint Gid = 0,
    string Hostname = "",
    ContainerResources? Resources = null,
    IReadOnlyList<ContainerMount>? Mounts = null,
    IReadOnlyList<uint>? AdditionalGids = null,
    ContainerStdio? Stdio = null,
    string? TargetContainerId = null,
    bool ReadOnlyRootfs = false);
