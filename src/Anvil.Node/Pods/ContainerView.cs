using Anvil.Node.Runtime;

namespace Anvil.Node.Pods;

/// <summary>
/// What the worker knows of one spec container: its latest and previous runtime instances and, when it is not
/// running, why it waits (ContainerCreating, ErrImageNeverPull, CrashLoopBackOff, CreateContainerError); for a
/// running one, started and ready as its probes say (null: no probes, so running is started and ready); and the
/// imageID of the image it resolved to.
/// </summary>
internal sealed record ContainerView(string Name, string Image, ContainerStatus? Latest, ContainerStatus? Previous, string WaitingReason, string WaitingMessage,
    bool? Started = null, bool? Ready = null, string ImageId = "");
