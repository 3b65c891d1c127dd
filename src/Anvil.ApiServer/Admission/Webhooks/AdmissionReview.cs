using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;

namespace Anvil.ApiServer.Admission.Webhooks;

/// <summary>Builds the admission.k8s.io/v1 AdmissionReview a webhook receives (CreateAdmissionObjects).</summary>
public static class AdmissionReview
{
    public static string Operation(AdmissionOperation op) => op switch
    {
        AdmissionOperation.Create => "CREATE",
        AdmissionOperation.Update => "UPDATE",
        AdmissionOperation.Delete => "DELETE",
        _ => "CONNECT",
    };

    public static JsonObject Build(AdmissionAttributes a, string uid)
    {
        var def = a.Resource;
        var (kindGroup, kindVersion, kind) = (def.Group, def.Version, def.Kind);
        if (a.Subresource.Length > 0 && def.Subresources.FirstOrDefault(s => s.Name == a.Subresource) is { } sub)
            (kindGroup, kindVersion, kind) = (sub.Group, sub.Version, sub.Kind);
        var gvk = new JsonObject { ["group"] = kindGroup, ["version"] = kindVersion, ["kind"] = kind };
        var gvr = new JsonObject { ["group"] = def.Group, ["version"] = def.Version, ["resource"] = def.Resource };
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = gvk,
            ["resource"] = gvr,
        };
        if (a.Subresource.Length > 0) request["subResource"] = a.Subresource;
        request["requestKind"] = gvk.DeepClone();
        request["requestResource"] = gvr.DeepClone();
        if (a.Subresource.Length > 0) request["requestSubResource"] = a.Subresource;
        var name = a.Name.Length > 0 ? a.Name : a.Object?["metadata"]?["name"]?.GetValue<string>() ?? "";
        if (name.Length > 0) request["name"] = name;
        if (a.Namespace.Length > 0) request["namespace"] = a.Namespace;
        request["operation"] = Operation(a.Operation);
        var user = new JsonObject { ["username"] = a.User.Name };
        if (a.User.Uid.Length > 0) user["uid"] = a.User.Uid;
        if (a.User.Groups.Count > 0) user["groups"] = new JsonArray(a.User.Groups.Select(g => (JsonNode?)g).ToArray());
        if (a.User.Extra.Count > 0)
            user["extra"] = new JsonObject(a.User.Extra.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)new JsonArray(p.Value.Select(v => (JsonNode?)v).ToArray()))));
        request["userInfo"] = user;
        request["object"] = a.Operation == AdmissionOperation.Delete ? null : a.Object?.DeepClone();
        request["oldObject"] = a.OldObject?.DeepClone();
        request["dryRun"] = a.DryRun;
        var optionsKind = a.Operation switch
        {
            AdmissionOperation.Create => "CreateOptions",
            AdmissionOperation.Update => "UpdateOptions",
            AdmissionOperation.Delete => "DeleteOptions",
            _ => null,
        };
        if (optionsKind != null)
        {
            var options = new JsonObject { ["kind"] = optionsKind, ["apiVersion"] = "meta.k8s.io/v1" };
            if (a.DryRun) options["dryRun"] = new JsonArray("All");
            request["options"] = options;
        }
        return new JsonObject { ["kind"] = "AdmissionReview", ["apiVersion"] = "admission.k8s.io/v1", ["request"] = request };
    }

    /// <summary>Whether admission of this resource never calls webhooks (the webhook configurations themselves).</summary>
    public static bool IsExempt(ResourceDefinition def) =>
        def.Group == WebhookConfigurationSource.Group && def.Resource is "mutatingwebhookconfigurations" or "validatingwebhookconfigurations"
            or "validatingadmissionpolicies" or "validatingadmissionpolicybindings" or "mutatingadmissionpolicies" or "mutatingadmissionpolicybindings";
}
