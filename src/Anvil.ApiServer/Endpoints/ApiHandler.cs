using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Endpoints;

/// <summary>
/// The one REST handler for every resource (kube-apiserver's endpoints/handlers): resolves the resource,
/// parses options, calls the <see cref="ResourceStore"/> and encodes the answer, including Tables and watches.
/// </summary>
public sealed partial class ApiHandler
{
    private readonly ResourceCatalog _catalog;
    private readonly ResourceStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Anvil.Machinery.Schema.SchemaRegistry _schemas;
    private readonly FieldManagers _fieldManagers;

    public ApiHandler(ResourceCatalog catalog, ResourceStore store, Anvil.Machinery.Schema.SchemaRegistry schemas, FieldManagers fieldManagers, TimeProvider time, ILogger log)
    {
        _catalog = catalog;
        _store = store;
        _schemas = schemas;
        _fieldManagers = fieldManagers;
        _time = time;
        _log = log;
    }

    public async Task HandleAsync(HttpContext ctx, RequestInfo info, UserInfo user)
    {
        var def = _catalog.Find(info.Group, info.Version, info.Resource);
        if (def == null || (!def.Namespaced && info.Namespace.Length > 0 && info.Resource != "namespaces"))
        {
            await WriteNotFoundPathAsync(ctx).ConfigureAwait(false);
            return;
        }
        if (info.Subresource.Length > 0 && !def.HasSubresource(info.Subresource))
        {
            await WriteNotFoundPathAsync(ctx).ConfigureAwait(false);
            return;
        }
        if (def.Namespaced && info.Namespace.Length == 0 && info.Verb is not ("list" or "watch"))
        {
            await WriteNotFoundPathAsync(ctx).ConfigureAwait(false);
            return;
        }
        var ns = def.Namespaced ? info.Namespace : "";
        var ct = ctx.RequestAborted;
        if (VirtualCreates.Find(def.Group, def.Resource) is { } virtualCreate)
        {
            await HandleVirtualCreateAsync(ctx, virtualCreate, def, ns, info, user, ct).ConfigureAwait(false);
            return;
        }
        if (def.Group.Length == 0 && def.Resource == "pods" && info.Subresource is "exec" or "attach")
        {
            await ConnectAsync(ctx, def, ns, info, ct).ConfigureAwait(false);
            return;
        }
        if (def.Group.Length == 0 && def.Resource == "pods" && info.Subresource == "portforward")
        {
            await PortForwardAsync(ctx, def, ns, info, ct).ConfigureAwait(false);
            return;
        }
        if (VirtualReads.Find(def.Group, def.Resource) is { } virtualRead)
        {
            await HandleVirtualReadAsync(ctx, virtualRead, def, ns, info, ct).ConfigureAwait(false);
            return;
        }
        switch (info.Verb)
        {
            case "get":
                await GetAsync(ctx, def, ns, info, ct).ConfigureAwait(false);
                break;
            case "list":
                await ListAsync(ctx, def, ns, ct).ConfigureAwait(false);
                break;
            case "watch":
                await WatchAsync(ctx, def, ns, info, ct).ConfigureAwait(false);
                break;
            case "create":
                await CreateAsync(ctx, def, ns, info, user, ct).ConfigureAwait(false);
                break;
            case "update":
                await UpdateAsync(ctx, def, ns, info, user, ct).ConfigureAwait(false);
                break;
            case "patch":
                await PatchAsync(ctx, def, ns, info, user, ct).ConfigureAwait(false);
                break;
            case "delete":
                await DeleteAsync(ctx, def, ns, info, user, ct).ConfigureAwait(false);
                break;
            case "deletecollection":
                await DeleteCollectionAsync(ctx, def, ns, user, ct).ConfigureAwait(false);
                break;
            default:
                throw StatusError.MethodNotSupported(def.GroupResource, ctx.Request.Method);
        }
    }

    /// <summary>The 404 kube-apiserver gives for a path it does not serve.</summary>
    public static Task WriteNotFoundPathAsync(HttpContext ctx) =>
        ResponseWriter.WriteErrorAsync(ctx, new StatusError(404, "NotFound", "the server could not find the requested resource") { DetailsKind = null });

    private static void RequireVerb(ResourceDefinition def, string verb, string method)
    {
        if (!def.Verbs.Contains(verb)) throw StatusError.MethodNotSupported(def.GroupResource, method);
    }

    private static OutputFormat Output(HttpContext ctx) =>
        OutputFormat.Parse(ctx.Request.Headers.Accept.ToString())
        ?? throw StatusError.NotAcceptable("only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf");

    private WriteOptions BuildWriteOptions(HttpContext ctx, UserInfo user, string subresource)
    {
        var q = ctx.Request.Query;
        var dryRun = false;
        foreach (var v in q["dryRun"])
        {
            if (v == "All") dryRun = true;
            else throw StatusError.BadRequest($"Invalid dryRun value: \"{v}\" (supported values: \"All\")");
        }
        var manager = q["fieldManager"].ToString();
        if (manager.Length > 128)
            throw StatusError.Invalid(new GroupVersionKind("meta.k8s.io", "v1", "PatchOptions"), "", [Anvil.Machinery.Validation.FieldError.TooLong("fieldManager", manager, 128)]);
        if (manager.Length == 0) manager = DefaultFieldManager(ctx.Request.Headers.UserAgent.ToString());
        return new WriteOptions { DryRun = dryRun, FieldManager = manager, User = user, Subresource = subresource };
    }

    /// <summary>The manager name derived from the User-Agent when none is given ("kubectl/v1.32.4 (linux/amd64) ..." → "kubectl").</summary>
    private static string DefaultFieldManager(string userAgent)
    {
        if (userAgent.Length == 0) return "unknown";
        var slash = userAgent.IndexOf('/');
        var name = slash > 0 ? userAgent[..slash] : userAgent;
        return name.Length > 128 ? name[..128] : name;
    }
}
