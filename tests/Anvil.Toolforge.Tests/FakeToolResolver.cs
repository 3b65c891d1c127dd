using Anvil.ApiServer.Admission;
using Anvil.Toolforge.Policy;

namespace Anvil.Toolforge.Tests;

/// <summary>Tool namespaces from a table instead of the store.</summary>
internal sealed class FakeToolResolver(params ToolScope[] scopes) : IToolResolver
{
    private readonly Dictionary<string, ToolScope> _byNamespace = scopes.ToDictionary(s => s.Namespace);

    public int Calls { get; private set; }

    public ValueTask<ToolScope?> ResolveAsync(AdmissionAttributes attributes, CancellationToken ct)
    {
        Calls++;
        return ValueTask.FromResult(_byNamespace.GetValueOrDefault(attributes.Namespace));
    }
}
