namespace Anvil.ApiServer.Audit;

/// <summary>
/// A rule's <c>resources</c> entry: an API group ("" for core), resource names (also <c>pods/log</c>,
/// <c>*/status</c>, <c>pods/*</c>, <c>*</c>) and optional object names.
/// </summary>
public sealed record AuditGroupResources(string Group, IReadOnlyList<string> Resources, IReadOnlyList<string> ResourceNames);
