using Anvil.ApiServer.Authorization;
using Anvil.Machinery.Errors;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Authentication;

/// <summary>
/// The Impersonate-User, -Group, -Uid and -Extra-&lt;key&gt; headers (k8s.io/apiserver endpoints/filters/impersonation.go):
/// the authenticated user must be allowed to <c>impersonate</c> each requested user, service account, group, uid
/// and extra value; the request then runs as the impersonated user.
/// </summary>
public static class Impersonation
{
    public const string UserHeader = "Impersonate-User";
    public const string GroupHeader = "Impersonate-Group";
    public const string UidHeader = "Impersonate-Uid";
    public const string ExtraHeaderPrefix = "Impersonate-Extra-";

    private const string AuthenticationGroup = "authentication.k8s.io";
    private const string AuthenticationApiVersion = "authentication.k8s.io/v1";

    /// <summary>
    /// Applies the headers to <paramref name="requestor"/>: the user to act as, or the requestor itself when there
    /// are none. Null when a response was already written (a header set kube-apiserver answers with a plain 500).
    /// </summary>
    /// <exception cref="StatusError">403 when an impersonation is not allowed, with kube-apiserver's message.</exception>
    public static async Task<UserInfo?> ApplyAsync(HttpContext ctx, UserInfo requestor, IAuthorizer authorizer, CancellationToken ct)
    {
        IReadOnlyList<ImpersonationRequest> requests;
        try
        {
            requests = Parse(ctx.Request.Headers);
        }
        catch (ImpersonationHeaderException e)
        {
            // responsewriters.InternalError: text, not a Status.
            var uri = ctx.Request.Path.Value + ctx.Request.QueryString.Value;
            await WritePlainErrorAsync(ctx, $"Internal Server Error: {Anvil.Machinery.Validation.GoQuote.Quote(uri)}: {e.Message}").ConfigureAwait(false);
            return null;
        }
        if (requests.Count == 0) return requestor;
        return await ActAsAsync(requestor, requests, ctx.Request.Headers[GroupHeader].Count > 0, authorizer, ct).ConfigureAwait(false);
    }

    private static async Task WritePlainErrorAsync(HttpContext ctx, string text)
    {
        ctx.Response.StatusCode = 500;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await ctx.Response.WriteAsync(text + "\n", ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The impersonation requests in the headers, in kube-apiserver's order (user, groups, extras, uid).</summary>
    /// <exception cref="ImpersonationHeaderException">Groups, extras or a uid without a user.</exception>
    public static IReadOnlyList<ImpersonationRequest> Parse(IHeaderDictionary headers)
    {
        var requests = new List<ImpersonationRequest>();
        var user = headers[UserHeader].FirstOrDefault() ?? "";
        var hasUser = user.Length > 0;
        if (hasUser)
        {
            requests.Add(ServiceAccountUser.TrySplitUsername(user, out var ns, out var name)
                ? new ImpersonationRequest("ServiceAccount", name, ns)
                : new ImpersonationRequest("User", user));
        }
        var groups = headers[GroupHeader];
        foreach (var g in groups) requests.Add(new ImpersonationRequest("Group", g ?? ""));
        var hasExtra = false;
        foreach (var (header, values) in headers)
        {
            if (!header.StartsWith(ExtraHeaderPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            hasExtra = true;
            var key = UnescapeExtraKey(header[ExtraHeaderPrefix.Length..].ToLowerInvariant());
            foreach (var v in values) requests.Add(new ImpersonationRequest("UserExtra", v ?? "", ApiVersion: AuthenticationApiVersion, FieldPath: key));
        }
        var uid = headers[UidHeader].FirstOrDefault() ?? "";
        if (uid.Length > 0) requests.Add(new ImpersonationRequest("UID", uid, ApiVersion: AuthenticationApiVersion));
        if ((groups.Count > 0 || hasExtra || uid.Length > 0) && !hasUser)
            throw new ImpersonationHeaderException($"requested [{string.Join(" ", requests)}] without impersonating a user");
        return requests;
    }

    /// <summary>Authorizes every request for <paramref name="requestor"/> and builds the impersonated user.</summary>
    public static async Task<UserInfo> ActAsAsync(UserInfo requestor, IReadOnlyList<ImpersonationRequest> requests, bool groupsSpecified, IAuthorizer authorizer, CancellationToken ct)
    {
        var username = "";
        var uid = "";
        var groups = new List<string>();
        var extra = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var r in requests)
        {
            var group = r.ApiVersion.Contains('/') ? r.ApiVersion[..r.ApiVersion.IndexOf('/')] : "";
            var attributes = new AuthorizationAttributes
            {
                User = requestor,
                Verb = "impersonate",
                IsResourceRequest = true,
                ApiGroup = group,
                ApiVersion = group.Length > 0 ? r.ApiVersion[(group.Length + 1)..] : r.ApiVersion,
                Namespace = r.Namespace,
                Name = r.Name,
            };
            switch (r.Kind)
            {
                case "ServiceAccount":
                    attributes = attributes with { Resource = "serviceaccounts" };
                    username = ServiceAccountUser.MakeUsername(r.Namespace, r.Name);
                    if (!groupsSpecified) groups = [.. ServiceAccountUser.MakeGroupNames(r.Namespace)];
                    break;
                case "User":
                    attributes = attributes with { Resource = "users" };
                    username = r.Name;
                    break;
                case "Group":
                    attributes = attributes with { Resource = "groups" };
                    groups.Add(r.Name);
                    break;
                case "UserExtra":
                    attributes = attributes with { Resource = "userextras", Subresource = r.FieldPath };
                    if (!extra.TryGetValue(r.FieldPath, out var list)) extra[r.FieldPath] = list = [];
                    list.Add(r.Name);
                    break;
                case "UID":
                    attributes = attributes with { Resource = "uids" };
                    uid = r.Name;
                    break;
                default:
                    throw Forbidden.For(attributes, $"unknown impersonation request type: {r}");
            }
            var decision = await authorizer.AuthorizeAsync(attributes, ct).ConfigureAwait(false);
            if (!decision.Allowed) throw Forbidden.For(attributes, decision.Reason);
        }

        if (username != ServiceAccountUser.AnonymousUser)
        {
            // system:authenticated joins unless the caller named it or system:unauthenticated.
            if (!groups.Any(g => g is ServiceAccountUser.AllAuthenticatedGroup or ServiceAccountUser.AllUnauthenticatedGroup))
                groups.Add(ServiceAccountUser.AllAuthenticatedGroup);
        }
        else if (!groups.Contains(ServiceAccountUser.AllUnauthenticatedGroup))
        {
            groups.Add(ServiceAccountUser.AllUnauthenticatedGroup);
        }
        return new UserInfo(username, groups, uid)
        {
            Extra = extra.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal),
        };
    }

    /// <summary>url.PathUnescape of the key; a malformed escape keeps the key as sent.</summary>
    private static string UnescapeExtraKey(string key)
    {
        try
        {
            for (var i = key.IndexOf('%'); i >= 0; i = key.IndexOf('%', i + 1))
                if (i + 2 >= key.Length || !Uri.IsHexDigit(key[i + 1]) || !Uri.IsHexDigit(key[i + 2])) return key;
            return Uri.UnescapeDataString(key);
        }
        catch (UriFormatException)
        {
            return key;
        }
    }
}
