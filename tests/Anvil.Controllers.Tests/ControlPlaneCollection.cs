namespace Anvil.Controllers.Tests;

/// <summary>Tests against the running control plane share one server and run one at a time (the machine is small).</summary>
[CollectionDefinition(Name)]
public sealed class ControlPlaneCollection : ICollectionFixture<ControlPlane>
{
    public const string Name = "control plane";
}
