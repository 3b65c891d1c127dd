namespace Anvil.Node.Volumes;

/// <summary>A volume could not be set up; the message is the kubelet's (e.g. <c>configmap "x" not found</c>).</summary>
public sealed class VolumeSetupException(string message) : Exception(message);
