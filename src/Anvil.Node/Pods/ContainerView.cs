using Anvil.Node.Runtime;

namespace Anvil.Node.Pods;

/// <summary>
/// What the worker knows of one spec container: its latest and previous runtime instances and, when it is not
/// running, why it waits (ContainerCreating, ErrImageNeverPull, CrashLoopBackOff, CreateContainerError) and the imageID of the image it resolved to.
/// </summary>
internal sealed record ContainerView(string Name, string Image, ContainerStatus? Latest, ContainerStatus? Previous, string WaitingReason, string WaitingMessage, string ImageId = "");
