using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Coordination;

/// <summary>coordination.k8s.io/v1 Lease.</summary>
public sealed class LeaseStrategy : BuiltinStrategy
{
    public static readonly LeaseStrategy Instance = new();

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec");
        if (Int(spec?["leaseDurationSeconds"]) is <= 0 and var d)
            yield return FieldError.Invalid("spec.leaseDurationSeconds", d, "must be greater than 0");
        if (Int(spec?["leaseTransitions"]) is < 0 and var t)
            yield return FieldError.Invalid("spec.leaseTransitions", t, "must be greater than or equal to 0");
        if (!string.IsNullOrEmpty(Str(spec?["preferredHolder"])) && string.IsNullOrEmpty(Str(spec?["strategy"])))
            yield return FieldError.Forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined");
    }
}
