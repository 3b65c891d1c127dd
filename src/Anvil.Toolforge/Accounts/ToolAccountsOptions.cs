namespace Anvil.Toolforge.Accounts;

/// <summary>Settings of the tool-accounts controller.</summary>
public sealed record ToolAccountsOptions
{
    public required ToolforgeOptions Toolforge { get; init; }

    /// <summary>The API server URL written into kubeconfigs.</summary>
    public required string Server { get; init; }

    /// <summary>The cluster CA (PEM) written into kubeconfigs.</summary>
    public required string CaPem { get; init; }

    public ToolQuotaDefaults Quota { get; init; } = ToolQuotaDefaults.Standard;

    /// <summary>Credentials are renewed this long before they expire (maintain-kubeusers: 30 days).</summary>
    public TimeSpan RenewBefore { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Requested certificate lifetime; null leaves it to the signer (a year).</summary>
    public TimeSpan? CertificateLifetime { get; init; }

    public int Workers { get; init; } = 8;
}
