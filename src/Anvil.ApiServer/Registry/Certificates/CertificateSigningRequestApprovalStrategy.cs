using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry.Certificates;

/// <summary>
/// <c>certificatesigningrequests/{name}/approval</c> (what <c>kubectl certificate approve|deny</c> PUTs):
/// only <c>status.conditions</c> changes; Approved and Denied may be added, never removed, never both.
/// </summary>
public sealed class CertificateSigningRequestApprovalStrategy : ResourceStrategy
{
    public static readonly CertificateSigningRequestApprovalStrategy Instance = new();

    public override bool HasStatus => true;

    public override NameRule NameRule => NameRule.PathSegment;

    public override IReadOnlyList<string> ResetFields => ["spec", "status.certificate"];

    public override void Default(JsonObject obj) => CertificateSigningRequestStrategy.Instance.Default(obj);

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        CertificateSigningRequestStrategy.PopulateConditionTimestamps(obj, old, DateTimeOffset.UtcNow);
        var conditions = obj["status"]?["conditions"]?.DeepClone();
        if (old["spec"] is { } spec) obj["spec"] = spec.DeepClone();
        else obj.Remove("spec");
        var status = old["status"]?.DeepClone() as JsonObject ?? new JsonObject();
        if (conditions != null) status["conditions"] = conditions;
        else status.Remove("conditions");
        obj["status"] = status;
        if (old["metadata"]?["generation"] is { } gen && obj["metadata"] is JsonObject meta) meta["generation"] = gen.DeepClone();
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) =>
        CertificateSigningRequestValidation.ValidateApprovalUpdate(obj, old);
}
