using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>core/v1 ResourceQuota: hard limits are standard (or qualified) resource names with valid quantities.</summary>
public sealed class ResourceQuotaStrategy : BuiltinStrategy
{
    public static readonly ResourceQuotaStrategy Instance = new();

    static readonly string[] Scopes = ["Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"];

    public override bool HasStatus => true;

    protected override JsonObject? InitialStatus(JsonObject obj) => new();

    public override void Default(JsonObject obj)
    {
        QuantityValidation.CanonicalizeList(obj["spec"]?["hard"]);
        QuantityValidation.CanonicalizeList(obj["status"]?["hard"]);
        QuantityValidation.CanonicalizeList(obj["status"]?["used"]);
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var spec = Child(obj, "spec");
        foreach (var e in ValidateResourceList(Child(spec, "hard"), "spec.hard")) yield return e;
        var i = 0;
        foreach (var scope in Arr(spec?["scopes"]) ?? [])
        {
            var s = Str(scope) ?? "";
            if (!Scopes.Contains(s)) yield return FieldError.NotSupported($"spec.scopes[{i}]", s, Scopes);
            i++;
        }
    }

    internal static IEnumerable<FieldError> ValidateResourceList(JsonObject? list, string path)
    {
        foreach (var (name, q) in list ?? [])
        {
            var p = $"{path}[{name}]";
            foreach (var e in ResourceNames.ValidateResourceName(name, p)) yield return e;
            if (!name.Contains('/') && !ResourceNames.IsStandardQuotaResource(name))
                yield return FieldError.Invalid(p, name, "must be a standard resource for quota");
            foreach (var e in PodSpecValidation.ValidateResourceQuantity(name, QuantityValidation.Text(q), p)) yield return e;
        }
    }

    public override IEnumerable<FieldError> ValidateStatusUpdate(JsonObject obj, JsonObject old)
    {
        var status = Child(obj, "status");
        foreach (var e in ValidateResourceList(Child(status, "hard"), "status.hard")) yield return e;
        foreach (var e in ValidateResourceList(Child(status, "used"), "status.used")) yield return e;
    }
}
