namespace Anvil.ApiServer.Audit;

/// <summary>What the policy decided for one request.</summary>
public sealed record AuditPolicyDecision(AuditLevel Level, IReadOnlySet<AuditStage> OmitStages, bool OmitManagedFields)
{
    public static readonly AuditPolicyDecision None = new(AuditLevel.None, new HashSet<AuditStage>(), false);
}
