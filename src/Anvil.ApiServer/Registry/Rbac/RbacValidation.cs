using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Rbac;

/// <summary>pkg/apis/rbac/validation: policy rules, role refs and subjects.</summary>
internal static class RbacValidation
{
    public const string GroupName = "rbac.authorization.k8s.io";

    static string GoStrings(JsonNode? list) => "[]string{" + string.Join(", ", (Arr(list) ?? []).Select(x => GoQuote.Quote(Str(x) ?? ""))) + "}";

    public static IEnumerable<FieldError> ValidateRules(JsonObject obj, bool namespaced)
    {
        var i = 0;
        foreach (var rule in Items(obj, "rules"))
        {
            var p = $"rules[{i++}]";
            if ((Arr(rule["verbs"])?.Count ?? 0) == 0) yield return FieldError.Required(p + ".verbs", "verbs must contain at least one value");
            if ((Arr(rule["nonResourceURLs"])?.Count ?? 0) > 0)
            {
                if (namespaced)
                    yield return FieldError.Invalid(p + ".nonResourceURLs", new GoValue(GoStrings(rule["nonResourceURLs"])), "namespaced rules cannot apply to non-resource URLs");
                if ((Arr(rule["apiGroups"])?.Count ?? 0) > 0 || (Arr(rule["resources"])?.Count ?? 0) > 0 || (Arr(rule["resourceNames"])?.Count ?? 0) > 0)
                    yield return FieldError.Invalid(p + ".nonResourceURLs", new GoValue(GoStrings(rule["nonResourceURLs"])), "rules cannot apply to both regular resources and non-resource URLs");
                continue;
            }
            if ((Arr(rule["apiGroups"])?.Count ?? 0) == 0) yield return FieldError.Required(p + ".apiGroups", "resource rules must supply at least one api group");
            if ((Arr(rule["resources"])?.Count ?? 0) == 0) yield return FieldError.Required(p + ".resources", "resource rules must supply at least one resource");
        }
    }

    /// <summary>SetDefaults of rbac/v1 bindings: roleRef.apiGroup and User/Group subjects' apiGroup.</summary>
    public static void DefaultBinding(JsonObject obj)
    {
        String(Object(obj, "roleRef"), "apiGroup", GroupName);
        foreach (var s in Items(obj, "subjects"))
            if (Str(s["kind"]) is "User" or "Group") String(s, "apiGroup", GroupName);
    }

    public static IEnumerable<FieldError> ValidateBinding(JsonObject obj, bool namespaced)
    {
        var roleRef = Child(obj, "roleRef") ?? new JsonObject();
        var apiGroup = Str(roleRef["apiGroup"]) ?? "";
        if (apiGroup != GroupName) yield return FieldError.NotSupported("roleRef.apiGroup", apiGroup, [GroupName]);
        var kind = Str(roleRef["kind"]) ?? "";
        var kinds = namespaced ? new[] { "Role", "ClusterRole" } : ["ClusterRole"];
        if (!kinds.Contains(kind)) yield return FieldError.NotSupported("roleRef.kind", kind, kinds);
        var name = Str(roleRef["name"]) ?? "";
        if (name.Length == 0) yield return FieldError.Required("roleRef.name");
        else foreach (var m in NameValidation.IsValidPathSegmentName(name)) yield return FieldError.Invalid("roleRef.name", name, m);
        var i = 0;
        foreach (var s in Items(obj, "subjects"))
        {
            var p = $"subjects[{i++}]";
            var sname = Str(s["name"]) ?? "";
            var sgroup = Str(s["apiGroup"]) ?? "";
            if (sname.Length == 0) yield return FieldError.Required(p + ".name");
            switch (Str(s["kind"]) ?? "")
            {
                case "ServiceAccount":
                    if (sname.Length > 0) foreach (var m in NameValidation.IsDns1123Subdomain(sname)) yield return FieldError.Invalid(p + ".name", sname, m);
                    if (sgroup.Length > 0) yield return FieldError.NotSupported(p + ".apiGroup", sgroup, [""]);
                    if (!namespaced && string.IsNullOrEmpty(Str(s["namespace"]))) yield return FieldError.Required(p + ".namespace");
                    break;
                case "User" or "Group":
                    if (sgroup != GroupName) yield return FieldError.NotSupported(p + ".apiGroup", sgroup, [GroupName]);
                    break;
                default:
                    yield return FieldError.NotSupported(p + ".kind", Str(s["kind"]) ?? "", ["ServiceAccount", "User", "Group"]);
                    break;
            }
        }
    }

    public static IEnumerable<FieldError> ImmutableRoleRef(JsonObject obj, JsonObject old)
    {
        if (JsonNode.DeepEquals(obj["roleRef"], old["roleRef"])) yield break;
        var r = Child(obj, "roleRef") ?? new JsonObject();
        yield return FieldError.Invalid("roleRef",
            new GoValue($"rbac.RoleRef{{APIGroup:{GoQuote.Quote(Str(r["apiGroup"]) ?? "")}, Kind:{GoQuote.Quote(Str(r["kind"]) ?? "")}, Name:{GoQuote.Quote(Str(r["name"]) ?? "")}}}"),
            "cannot change roleRef");
    }
}
