namespace Anvil.ApiServer;

/// <summary>Settings of <c>anvil up</c>'s API server.</summary>
public sealed record ApiServerOptions
{
    public required string DataDir { get; init; }
    public int Port { get; init; } = 6443;
    public string Bind { get; init; } = "127.0.0.1";

    /// <summary>Audit log file; null for <c>&lt;DataDir&gt;/audit.log</c>, <c>-</c> for stdout.</summary>
    public string? AuditLogPath { get; init; }

    /// <summary>An audit.k8s.io/v1 Policy file; null for Metadata level on every request.</summary>
    public string? AuditPolicyFile { get; init; }

    /// <summary>Rotate the audit log before it grows past this many megabytes (0: never).</summary>
    public int AuditLogMaxSizeMB { get; init; } = 100;

    /// <summary>Rotated audit logs to keep (0: all).</summary>
    public int AuditLogMaxBackups { get; init; } = 10;

    /// <summary>Days to keep rotated audit logs (0: forever).</summary>
    public int AuditLogMaxAgeDays { get; init; } = 30;

    /// <summary>An apiserver.config.k8s.io/v1 EncryptionConfiguration; null for <c>&lt;DataDir&gt;/encryption-config.yaml</c>, created on first start.</summary>
    public string? EncryptionProviderConfig { get; init; }

    /// <summary>
    /// Admission plugins of the platform built on this server (Toolforge's tool policies), run where Kubernetes runs
    /// its admission webhooks: after the built-in mutating plugins, before ResourceQuota.
    /// </summary>
    public Func<ApiServerHost, IEnumerable<Admission.IAdmissionPlugin>>? PlatformAdmission { get; init; }

    /// <summary>
    /// Admission plugins not to run (<c>--disable-admission-plugins</c>), e.g. <c>ServiceAccount</c> for a test
    /// cluster without the controller that creates the <c>default</c> service accounts.
    /// </summary>
    public IReadOnlySet<string> DisabledAdmissionPlugins { get; init; } = new HashSet<string>();

    /// <summary>How often the objects per resource are counted for <c>apiserver_storage_objects</c> (<c>--etcd-count-metric-poll-period</c>).</summary>
    public TimeSpan StorageCountPollPeriod { get; init; } = TimeSpan.FromMinutes(1);
}
