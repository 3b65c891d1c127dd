using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    private async Task GetAsync(HttpContext ctx, ResourceDefinition def, string ns, RequestInfo info, CancellationToken ct)
    {
        RequireVerb(def, "get", "GET");
        if (info.Subresource == "log" && def.Group.Length == 0 && def.Resource == "pods")
        {
            await GetLogAsync(ctx, def, ns, info.Name, ct).ConfigureAwait(false);
            return;
        }
        var format = Output(ctx);
        var obj = await _store.GetAsync(def, ns, info.Name, ct).ConfigureAwait(false);
        switch (info.Subresource)
        {
            case "":
            case "status":
            case "approval":
            case "ephemeralcontainers":
                break;
            case "scale":
                obj = Scale.FromObject(def, obj);
                await ResponseWriter.WriteObjectAsync(ctx, 200, obj, format).ConfigureAwait(false);
                return;
            default:
                throw StatusError.MethodNotSupported(def.GroupResource, "GET " + info.Subresource);
        }
        await WriteSingleAsync(ctx, def, obj, format, 200).ConfigureAwait(false);
    }

    /// <summary>Writes one object in the requested shape (object, Table, PartialObjectMetadata).</summary>
    private Task WriteSingleAsync(HttpContext ctx, ResourceDefinition def, JsonObject obj, OutputFormat format, int status)
    {
        JsonNode body = format.Shape switch
        {
            OutputShape.Table => TableBuilder.Build(def, [obj], IncludeObject(ctx), format.TableVersion, ObjectMeta.ResourceVersion(obj), "", true, _time.GetUtcNow()),
            OutputShape.PartialObjectMetadata => TableBuilder.PartialObjectMetadata(obj, format.TableVersion),
            _ => obj,
        };
        return ResponseWriter.WriteObjectAsync(ctx, status, body, format);
    }

    private static string IncludeObject(HttpContext ctx)
    {
        var v = ctx.Request.Query["includeObject"].ToString();
        return v switch
        {
            "" => "Metadata",
            "None" or "Metadata" or "Object" => v,
            _ => throw StatusError.BadRequest($"includeObject: Unsupported value: \"{v}\": supported values: \"Metadata\", \"None\", \"Object\""),
        };
    }

    private static Func<JsonObject, bool>? BuildPredicate(HttpContext ctx, ResourceDefinition def)
    {
        return Selectors.Build(def, ctx.Request.Query["labelSelector"].ToString(), ctx.Request.Query["fieldSelector"].ToString());
    }

    private static int ParseLimit(HttpContext ctx)
    {
        var text = ctx.Request.Query["limit"].ToString();
        if (text.Length == 0) return 0;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var limit))
            throw StatusError.BadRequest($"limit: Invalid value: \"{text}\": must be an integer");
        return limit <= 0 ? 0 : (int)Math.Min(limit, int.MaxValue);
    }

    private async Task ListAsync(HttpContext ctx, ResourceDefinition def, string ns, CancellationToken ct)
    {
        RequireVerb(def, "list", "GET");
        var format = Output(ctx);
        var q = ctx.Request.Query;
        var options = new ListOptions
        {
            Predicate = BuildPredicate(ctx, def),
            Limit = ParseLimit(ctx),
            Continue = q["continue"].ToString(),
            ResourceVersion = q["resourceVersion"].ToString(),
            ResourceVersionMatch = q["resourceVersionMatch"].ToString(),
        };
        var result = await _store.ListAsync(def, ns, options, ct).ConfigureAwait(false);
        var rv = result.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        if (format.Shape == OutputShape.Table)
        {
            var table = TableBuilder.Build(def, result.Items, IncludeObject(ctx), format.TableVersion, rv, result.Continue, true, _time.GetUtcNow());
            await ResponseWriter.WriteObjectAsync(ctx, 200, table, format).ConfigureAwait(false);
            return;
        }
        var items = new JsonArray();
        foreach (var item in result.Items)
            items.Add(format.Shape == OutputShape.PartialObjectMetadata ? TableBuilder.PartialObjectMetadata(item, format.TableVersion) : item);
        var meta = new JsonObject { ["resourceVersion"] = rv };
        if (result.Continue.Length > 0) meta["continue"] = result.Continue;
        var list = format.Shape == OutputShape.PartialObjectMetadata
            ? new JsonObject { ["kind"] = "PartialObjectMetadataList", ["apiVersion"] = "meta.k8s.io/" + format.TableVersion, ["metadata"] = meta, ["items"] = items }
            : new JsonObject { ["kind"] = def.ListKind, ["apiVersion"] = def.ApiVersion, ["metadata"] = meta, ["items"] = items };
        await ResponseWriter.WriteObjectAsync(ctx, 200, list, format).ConfigureAwait(false);
    }
}
