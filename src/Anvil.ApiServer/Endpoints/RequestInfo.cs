namespace Anvil.ApiServer.Endpoints;

/// <summary>
/// What an API request addresses, parsed from its path and method the way kube-apiserver's
/// RequestInfoFactory does: <c>/api/v1/namespaces/ns/pods/name/status</c> → get pods "name" status in "ns".
/// </summary>
public sealed record RequestInfo
{
    public bool IsResourceRequest { get; init; }
    public string Path { get; init; } = "";
    /// <summary>Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection (or the lower-case HTTP method for non-resource requests).</summary>
    public string Verb { get; init; } = "";
    public string ApiPrefix { get; init; } = "";
    public string Group { get; init; } = "";
    public string Version { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string Resource { get; init; } = "";
    public string Subresource { get; init; } = "";
    public string Name { get; init; } = "";
    /// <summary>Path segments after the group/version, for discovery requests that stop early.</summary>
    public IReadOnlyList<string> Parts { get; init; } = [];

    /// <summary>Parses a request. Returns a non-resource info for paths outside /api and /apis.</summary>
    public static RequestInfo Parse(string method, string path, bool watchParam)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        // Kestrel's method strings are interned constants: the usual ones need no lower-cased copy.
        var lowerMethod = method switch
        {
            "GET" => "get",
            "POST" => "post",
            "PUT" => "put",
            "PATCH" => "patch",
            "DELETE" => "delete",
            "HEAD" => "head",
            _ => method.ToLowerInvariant(),
        };
        if (segments.Length == 0 || (segments[0] != "api" && segments[0] != "apis"))
            return new RequestInfo { Path = path, Verb = lowerMethod };

        int i;
        string group, version;
        if (segments[0] == "api")
        {
            if (segments.Length < 2) return new RequestInfo { Path = path, Verb = lowerMethod, ApiPrefix = "api" };
            group = "";
            version = segments[1];
            i = 2;
        }
        else
        {
            if (segments.Length < 3)
                return new RequestInfo { Path = path, Verb = lowerMethod, ApiPrefix = "apis", Group = segments.Length > 1 ? segments[1] : "" };
            group = segments[1];
            version = segments[2];
            i = 3;
        }
        var parts = segments[i..];
        if (parts.Length == 0)
            return new RequestInfo { Path = path, Verb = lowerMethod, ApiPrefix = segments[0], Group = group, Version = version };

        var ns = "";
        // /namespaces/{ns}/{resource}... ; but /namespaces/{name} and /namespaces/{name}/status|finalize address the namespace itself.
        if (parts[0] == "namespaces" && parts.Length >= 3)
        {
            ns = parts[1];
            if (parts[2] is not ("status" or "finalize") || parts.Length > 3)
                parts = parts[2..];
        }
        else if (parts[0] == "namespaces" && parts.Length == 2)
        {
            ns = "";
        }

        var resource = parts[0];
        var name = parts.Length > 1 ? parts[1] : "";
        var sub = parts.Length > 2 ? string.Join('/', parts[2..]) : "";
        if (resource == "namespaces") ns = name.Length > 0 ? name : "";

        var verb = lowerMethod switch
        {
            "get" or "head" => name.Length == 0 ? (watchParam ? "watch" : "list") : (watchParam && sub.Length == 0 ? "watch" : "get"),
            "post" => "create",
            "put" => "update",
            "patch" => "patch",
            "delete" => name.Length == 0 ? "deletecollection" : "delete",
            _ => lowerMethod,
        };
        // "/watch/" path prefix is deprecated and not served.
        return new RequestInfo
        {
            IsResourceRequest = true,
            Path = path,
            Verb = verb,
            ApiPrefix = segments[0],
            Group = group,
            Version = version,
            Namespace = ns,
            Resource = resource,
            Name = name,
            Subresource = sub,
            Parts = parts,
        };
    }
}
