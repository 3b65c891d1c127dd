using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Registry.Certificates;

/// <summary>
/// <c>certificatesigningrequests/{name}/status</c>: the signer's way in. It sets <c>status.certificate</c>
/// and conditions other than Approved/Denied, which stay as stored; the spec never changes.
/// </summary>
public sealed class CertificateSigningRequestStatusStrategy : ResourceStrategy
{
    public static readonly CertificateSigningRequestStatusStrategy Instance = new();

    public override bool HasStatus => true;

    public override NameRule NameRule => NameRule.PathSegment;

    public override IReadOnlyList<string> ResetFields => ["spec", "status.conditions"];

    public override void Default(JsonObject obj) => CertificateSigningRequestStrategy.Instance.Default(obj);

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        if (old["spec"] is { } spec) obj["spec"] = spec.DeepClone();
        else obj.Remove("spec");
        if (old["metadata"]?["generation"] is { } gen && obj["metadata"] is JsonObject meta) meta["generation"] = gen.DeepClone();
        PreserveInstances(obj, old, "Approved");
        PreserveInstances(obj, old, "Denied");
        CertificateSigningRequestStrategy.PopulateConditionTimestamps(obj, old, DateTimeOffset.UtcNow);
    }

    /// <summary>Keeps the stored Approved/Denied conditions in place when the count is unchanged (adding or removing one fails validation).</summary>
    static void PreserveInstances(JsonObject obj, JsonObject old, string type)
    {
        var oldConditions = CertificateSigningRequestValidation.Conditions(old);
        var oldIdx = Indices(oldConditions, type);
        if (obj["status"]?["conditions"] is not JsonArray conditions) return;
        var newIdx = Indices(conditions.ToList(), type);
        if (oldIdx.Count != newIdx.Count) return;
        for (var i = 0; i < oldIdx.Count; i++) conditions[newIdx[i]] = oldConditions[oldIdx[i]]?.DeepClone();
    }

    static List<int> Indices(List<JsonNode?> conditions, string type) =>
        conditions.Select((c, i) => (c, i)).Where(p => Str(p.c?["type"]) == type).Select(p => p.i).ToList();

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) =>
        CertificateSigningRequestValidation.ValidateStatusUpdate(obj, old);
}
