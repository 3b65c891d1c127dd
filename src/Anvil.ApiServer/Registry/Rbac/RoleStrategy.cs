using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Registry.Rbac;

/// <summary>rbac/v1 Role and ClusterRole: path-segment names, policy rules, aggregation selectors.</summary>
public sealed class RoleStrategy(bool clusterScoped) : BuiltinStrategy
{
    public static readonly RoleStrategy Role = new(false);
    public static readonly RoleStrategy ClusterRole = new(true);

    public override NameRule NameRule => NameRule.PathSegment;

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        foreach (var e in RbacValidation.ValidateRules(obj, !clusterScoped)) yield return e;
        if (clusterScoped && Obj(obj["aggregationRule"]) is { } agg)
        {
            var selectors = Arr(agg["clusterRoleSelectors"]) ?? [];
            if (selectors.Count == 0)
                yield return FieldError.Required("aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is non-nil");
            for (var i = 0; i < selectors.Count; i++)
                foreach (var e in LabelValidation.ValidateLabelSelector(selectors[i], $"aggregationRule.clusterRoleSelectors[{i}]")) yield return e;
        }
    }
}
