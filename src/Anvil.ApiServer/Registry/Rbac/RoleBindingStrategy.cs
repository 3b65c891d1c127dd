using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry.Rbac;

/// <summary>rbac/v1 RoleBinding and ClusterRoleBinding: roleRef (immutable) and subjects.</summary>
public sealed class RoleBindingStrategy(bool clusterScoped) : BuiltinStrategy
{
    public static readonly RoleBindingStrategy RoleBinding = new(false);
    public static readonly RoleBindingStrategy ClusterRoleBinding = new(true);

    public override NameRule NameRule => NameRule.PathSegment;

    public override void Default(JsonObject obj) => RbacValidation.DefaultBinding(obj);

    public override IEnumerable<FieldError> Validate(JsonObject obj) => RbacValidation.ValidateBinding(obj, !clusterScoped);

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) =>
        Validate(obj).Concat(RbacValidation.ImmutableRoleRef(obj, old));
}
