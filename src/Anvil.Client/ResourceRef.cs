namespace Anvil.Client;

/// <summary>A resource as the client addresses it: group, version, plural name and scope.</summary>
public sealed record ResourceRef(string Group, string Version, string Resource, bool Namespaced)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The URL path of a collection or an object: /api/v1/namespaces/ns/pods/name/sub.</summary>
    public string Path(string ns = "", string name = "", string subresource = "")
    {
        var path = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        if (Namespaced && ns.Length > 0) path += $"/namespaces/{Uri.EscapeDataString(ns)}";
        path += "/" + Resource;
        if (name.Length > 0) path += "/" + Uri.EscapeDataString(name);
        if (subresource.Length > 0) path += "/" + subresource;
        return path;
    }

    public static readonly ResourceRef Namespaces = new("", "v1", "namespaces", false);
    public static readonly ResourceRef CustomResourceDefinitions = new("apiextensions.k8s.io", "v1", "customresourcedefinitions", false);
}
