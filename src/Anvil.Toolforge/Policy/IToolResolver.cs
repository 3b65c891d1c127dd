using Anvil.ApiServer.Admission;

namespace Anvil.Toolforge.Policy;

/// <summary>Tells the tool policies whether a request's namespace is a tool namespace, and which tool's.</summary>
public interface IToolResolver
{
    /// <summary>The request namespace's tool; null when it is not a tool namespace (or does not exist).</summary>
    ValueTask<ToolScope?> ResolveAsync(AdmissionAttributes attributes, CancellationToken ct);
}
