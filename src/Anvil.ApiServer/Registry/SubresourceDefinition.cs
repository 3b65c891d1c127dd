namespace Anvil.ApiServer.Registry;

/// <summary>A subresource as discovery lists it: <c>pods/status</c>, <c>deployments/scale</c>, <c>pods/eviction</c>.</summary>
public sealed record SubresourceDefinition(string Name, string Group, string Version, string Kind, IReadOnlyList<string> Verbs);
