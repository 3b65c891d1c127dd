namespace Anvil.Node.Runtime;

/// <summary>CRI's ContainerState.</summary>
public enum ContainerState
{
    Created,
    Running,
    Exited,
    Unknown,
}
