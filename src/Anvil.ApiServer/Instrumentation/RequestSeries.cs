using Anvil.ApiServer.Endpoints;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Instrumentation;

/// <summary>
/// The labels kube-apiserver puts on a request's metrics (its CleanVerb, CleanScope and dry run cleaning). Non-resource
/// requests carry their path in <c>subresource</c>, limited to a known set so that arbitrary paths cannot grow the page.
/// </summary>
public readonly record struct RequestSeries(string Verb, string DryRun, string Group, string Version, string Resource, string Subresource, string Scope)
{
    public static readonly string[] LabelNames = ["verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"];

    public string[] LabelValues() => [Verb, DryRun, Group, Version, Resource, Subresource, Scope, "apiserver"];

    /// <param name="served">
    /// Whether the request names a served resource (and subresource); one that does not is counted as
    /// <c>subresource="other"</c> without group, version and resource, so made-up names cannot grow the page.
    /// </param>
    public static RequestSeries Of(HttpRequest request, RequestInfo info, bool served)
    {
        if (!info.IsResourceRequest)
            return new(request.Method.ToUpperInvariant() is var m && m is "GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" or "OPTIONS" ? m : "other",
                "", "", "", "", NonResourcePath(info.Path), "");
        if (!served) return new(CleanVerb(request, info), CleanDryRun(request), "", "", "", "other", CleanScope(info));
        return new(CleanVerb(request, info), CleanDryRun(request), info.Group, info.Version, info.Resource, info.Subresource, CleanScope(info));
    }

    private static string CleanVerb(HttpRequest request, RequestInfo info)
    {
        if (info.Subresource is "exec" or "attach" or "portforward" or "proxy") return "CONNECT";
        return info.Verb switch
        {
            "get" => "GET",
            "list" => "LIST",
            "watch" => "WATCH",
            "create" => "POST",
            "update" => "PUT",
            "patch" => request.ContentType?.StartsWith("application/apply-patch", StringComparison.OrdinalIgnoreCase) == true ? "APPLY" : "PATCH",
            "delete" => "DELETE",
            "deletecollection" => "DELETECOLLECTION",
            _ => info.Verb.ToUpperInvariant(),
        };
    }

    private static string CleanScope(RequestInfo info) =>
        info.Name.Length > 0 || info.Verb == "create" ? "resource" : info.Namespace.Length > 0 ? "namespace" : "cluster";

    /// <summary>dryRun's values, as upstream's cleanDryRun: only "All" is valid, anything else was refused before.</summary>
    private static string CleanDryRun(HttpRequest request) =>
        request.Query.TryGetValue("dryRun", out var v) && v.Count > 0 ? (v.All(x => x == "All") ? "All" : "") : "";

    private static readonly string[] KnownPaths =
        ["/healthz", "/livez", "/readyz", "/version", "/metrics", "/openapi/v2", "/openapi/v3", "/api", "/apis", "/.well-known/openid-configuration", "/openid/v1/jwks"];

    /// <summary>The path, or the known path it is under (discovery under /api and /apis, documents under /openapi/v3), else "other".</summary>
    private static string NonResourcePath(string path)
    {
        var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        foreach (var known in KnownPaths)
            if (trimmed == known || trimmed.StartsWith(known + "/", StringComparison.Ordinal)) return known;
        return "other";
    }
}
