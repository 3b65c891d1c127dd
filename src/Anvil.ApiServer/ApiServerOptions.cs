namespace Anvil.ApiServer;

/// <summary>Settings of <c>anvil up</c>'s API server.</summary>
public sealed record ApiServerOptions
{
    public required string DataDir { get; init; }
    public int Port { get; init; } = 6443;
    public string Bind { get; init; } = "127.0.0.1";
}
