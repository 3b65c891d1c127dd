using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    /// <summary>Resources answered by code instead of storage; registered at startup, read-only afterwards.</summary>
    public Dictionary<GroupResource, IVirtualResource> VirtualResources { get; } = [];

    /// <summary>POST to a virtual resource's collection; every other method is 405, as for a create-only REST storage.</summary>
    private async Task HandleVirtualAsync(HttpContext ctx, ResourceDefinition def, string ns, RequestInfo info, UserInfo user, IVirtualResource resource, CancellationToken ct)
    {
        if (info.Verb != "create" || info.Name.Length > 0 || info.Subresource.Length > 0)
            throw new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        var format = Output(ctx);
        var body = await RequestBody.ReadAsync(ctx.Request, ct).ConfigureAwait(false);
        var options = BuildWriteOptions(ctx, user, "");
        var obj = DecodeFor(ctx, def, body, options);
        var result = await resource.CreateAsync(def, ns, obj, user, ct).ConfigureAwait(false);
        ResponseWriter.AddWarnings(ctx, options.Warnings);
        await ResponseWriter.WriteObjectAsync(ctx, 201, result, format).ConfigureAwait(false);
    }
}
