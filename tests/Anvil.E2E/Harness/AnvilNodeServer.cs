namespace Anvil.E2E.Harness;

/// <summary>An <c>anvil up</c> with its node agent: pods bound to this host run as real containers.</summary>
public sealed class AnvilNodeServer : AnvilServer
{
    protected override bool WithNode => true;

    /// <summary>The node's name: the host name, as the agent registers it.</summary>
    public static string NodeName => Environment.MachineName.ToLowerInvariant();
}
