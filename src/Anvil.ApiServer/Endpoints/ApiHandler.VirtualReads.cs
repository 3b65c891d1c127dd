using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    /// <summary>Read-only computed resources (metrics.k8s.io); filled at startup.</summary>
    public VirtualReadHandlers VirtualReads { get; } = new();

    /// <summary>get and list of a computed resource: the object or a list (or Table) of them; other verbs are 405.</summary>
    private async Task HandleVirtualReadAsync(HttpContext ctx, IVirtualReadHandler handler, ResourceDefinition def, string ns, RequestInfo info, CancellationToken ct)
    {
        // As for a storage without watch (ListResource's answer) and routes that are not installed at all.
        if (info.Verb == "watch" && info.Subresource.Length == 0) throw StatusError.MethodNotSupported(def.GroupResource, "watch");
        if (info.Verb is not ("get" or "list") || info.Subresource.Length > 0)
            throw new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        var format = Output(ctx);
        var predicate = info.Verb == "list" ? BuildPredicate(ctx, def) : null;
        var request = new VirtualReadRequest(def, ns, info.Name, predicate);
        if (info.Verb == "get")
        {
            var obj = await handler.GetAsync(request, ct).ConfigureAwait(false);
            await WriteSingleAsync(ctx, def, obj, format, 200).ConfigureAwait(false);
            return;
        }
        var items = await handler.ListAsync(request, ct).ConfigureAwait(false);
        if (format.Shape == OutputShape.Table)
        {
            var table = TableBuilder.Build(def, items, IncludeObject(ctx), format.TableVersion, "", "", true, _time.GetUtcNow());
            await ResponseWriter.WriteObjectAsync(ctx, 200, table, format).ConfigureAwait(false);
            return;
        }
        var array = new JsonArray();
        foreach (var item in items)
            array.Add(format.Shape == OutputShape.PartialObjectMetadata ? TableBuilder.PartialObjectMetadata(item, format.TableVersion) : item);
        var list = format.Shape == OutputShape.PartialObjectMetadata
            ? new JsonObject { ["kind"] = "PartialObjectMetadataList", ["apiVersion"] = "meta.k8s.io/" + format.TableVersion, ["metadata"] = new JsonObject(), ["items"] = array }
            : new JsonObject { ["kind"] = def.ListKind, ["apiVersion"] = def.ApiVersion, ["metadata"] = new JsonObject(), ["items"] = array };
        await ResponseWriter.WriteObjectAsync(ctx, 200, list, format).ConfigureAwait(false);
    }
}
