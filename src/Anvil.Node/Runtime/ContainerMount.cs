namespace Anvil.Node.Runtime;

/// <summary>A host path bind-mounted into a container (a pod volume or a subPath of one).</summary>
public sealed record ContainerMount(string Source, string Destination, bool ReadOnly);
