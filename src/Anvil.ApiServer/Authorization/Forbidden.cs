using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Authorization;

/// <summary>kube-apiserver's 403 for a denied request (endpoints/handlers/responsewriters/errors.go), byte for byte.</summary>
public static class Forbidden
{
    public static StatusError For(AuthorizationAttributes a, string reason = "")
    {
        var user = $"User \"{a.User.Name}\"";
        if (!a.IsResourceRequest)
        {
            var message = $"forbidden: {user} cannot {a.Verb} path \"{a.Path}\"";
            if (reason.Length > 0) message += ": " + reason;
            return new StatusError(403, "Forbidden", message);
        }
        var resource = a.Subresource.Length > 0 ? $"{a.Resource}/{a.Subresource}" : a.Resource;
        var scope = a.Namespace.Length > 0 ? $"in the namespace \"{a.Namespace}\"" : "at the cluster scope";
        var text = $"{user} cannot {a.Verb} resource \"{resource}\" in API group \"{a.ApiGroup}\" {scope}";
        if (reason.Length > 0) text += ": " + reason;
        return StatusError.Forbidden(new GroupResource(a.ApiGroup, a.Resource), a.Name, text);
    }
}
