namespace Anvil.Node.Env;

/// <summary>
/// A container's config cannot be made (a missing configmap or secret key, a bad subPath): the container waits
/// with reason <c>CreateContainerConfigError</c> and this message, as the kubelet reports it.
/// </summary>
public sealed class ContainerConfigException(string message) : Exception(message);
