namespace Anvil.ApiServer.Registry.Certificates;

/// <summary>
/// What a CSR write may do beyond the create rules (upstream certificateValidationOptions): the subresource
/// capabilities, and problems tolerated because the stored object already has them.
/// </summary>
internal sealed record CsrValidationOptions
{
    public bool AllowSettingApprovalConditions { get; init; }
    public bool AllowSettingCertificate { get; init; }
    public bool AllowBothApprovedAndDenied { get; init; }
    public bool AllowLegacySignerName { get; init; }
    public bool AllowDuplicateConditionTypes { get; init; }
    public bool AllowEmptyConditionType { get; init; }
    public bool AllowArbitraryCertificate { get; init; }
    public bool AllowUnknownUsages { get; init; }
    public bool AllowDuplicateUsages { get; init; }
}
