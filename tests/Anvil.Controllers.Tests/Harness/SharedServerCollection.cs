namespace Anvil.Controllers.Tests.Harness;

/// <summary>
/// Test classes of namespace-scoped controllers share one server and run one after another (a server start costs
/// more than their tests). Classes whose controllers act cluster-wide (nodes, pod GC, jobs) keep a server each.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedServerCollection : ICollectionFixture<ApiServerFixture>
{
    public const string Name = "shared API server";
}
