using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    /// <summary>POST handlers of subresources (serviceaccounts/token, ...); filled at startup.</summary>
    public SubresourceHandlers Subresources { get; } = new();

    /// <summary>Create-only resources that are not stored (tokenreviews, selfsubjectreviews, ...); filled at startup.</summary>
    public VirtualCreateHandlers VirtualCreates { get; } = new();

    private async Task CreateSubresourceAsync(HttpContext ctx, ResourceDefinition def, string ns, RequestInfo info, UserInfo user, byte[] body, OutputFormat format, CancellationToken ct)
    {
        var sub = def.Subresources.FirstOrDefault(s => s.Name == info.Subresource);
        var handler = sub == null || !sub.Verbs.Contains("create") ? null : Subresources.Find(def.Group, def.Resource, info.Subresource);
        if (handler == null) throw StatusError.MethodNotSupported(def.GroupResource, $"POST {info.Subresource}");
        var options = BuildWriteOptions(ctx, user, info.Subresource);
        var obj = RequestBody.DecodeObject(body, ctx.Request.ContentType);
        CheckTypeMeta(sub!.Group.Length == 0 ? sub.Version : $"{sub.Group}/{sub.Version}", sub.Kind, obj);
        var result = await handler.CreateAsync(new SubresourceRequest(def, sub, ns, info.Name, obj, options), ct).ConfigureAwait(false);
        ResponseWriter.AddWarnings(ctx, options.Warnings);
        await ResponseWriter.WriteObjectAsync(ctx, result.StatusCode, result.Object, format).ConfigureAwait(false);
    }

    /// <summary>A create-only resource: POST to the collection answers 201 with the handler's object; nothing is stored.</summary>
    private async Task HandleVirtualCreateAsync(HttpContext ctx, IVirtualCreateHandler handler, ResourceDefinition def, string ns, RequestInfo info, UserInfo user, CancellationToken ct)
    {
        if (info.Verb != "create" || info.Name.Length > 0 || info.Subresource.Length > 0)
            throw new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        var format = Output(ctx);
        var body = await RequestBody.ReadAsync(ctx.Request, ct).ConfigureAwait(false);
        var options = BuildWriteOptions(ctx, user, "");
        var obj = DecodeFor(ctx, def, body, options);
        var result = await handler.CreateAsync(new VirtualCreateRequest(def, ns, obj, options), ct).ConfigureAwait(false);
        ResponseWriter.AddWarnings(ctx, options.Warnings);
        await ResponseWriter.WriteObjectAsync(ctx, 201, result, format).ConfigureAwait(false);
    }

    private static void CheckTypeMeta(string expectedApiVersion, string expectedKind, JsonObject obj)
    {
        var apiVersion = obj["apiVersion"] is JsonValue av && av.TryGetValue<string>(out var a) ? a : "";
        var kind = obj["kind"] is JsonValue kv && kv.TryGetValue<string>(out var k) ? k : "";
        if (apiVersion.Length > 0 && apiVersion != expectedApiVersion)
            throw StatusError.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({expectedApiVersion})");
        if (kind.Length > 0 && kind != expectedKind)
            throw StatusError.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({expectedKind})");
    }
}
