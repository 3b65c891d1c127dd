using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Patches;
using Anvil.Machinery.Serialization;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    public const string JsonPatchType = "application/json-patch+json";
    public const string MergePatchType = "application/merge-patch+json";
    public const string StrategicMergePatchType = "application/strategic-merge-patch+json";
    public const string ApplyPatchType = "application/apply-patch+yaml";

    private async Task PatchAsync(HttpContext ctx, ResourceDefinition def, string ns, RequestInfo info, UserInfo user, CancellationToken ct)
    {
        RequireVerb(def, "patch", "PATCH");
        var format = Output(ctx);
        var sub = info.Subresource;
        if (sub is not ("" or "status" or "scale" or "approval" or "ephemeralcontainers"))
            throw StatusError.MethodNotSupported(def.GroupResource, $"PATCH {sub}");
        var body = await RequestBody.ReadAsync(ctx.Request, ct).ConfigureAwait(false);
        var media = RequestBody.MediaType(ctx.Request.ContentType);
        var options = BuildWriteOptions(ctx, user, sub) with { IsApply = media == ApplyPatchType };
        var force = ctx.Request.Query["force"].ToString() == "true";
        if (force && media != ApplyPatchType)
            throw StatusError.BadRequest("force: Invalid value: true: may not be specified for non-apply patch");
        if (media == StrategicMergePatchType && def.IsCustom)
            throw new StatusError(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: {JsonPatchType}, {MergePatchType}, {ApplyPatchType}");
        if (media == ApplyPatchType && ctx.Request.Query["fieldManager"].ToString().Length == 0)
            throw StatusError.BadRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");

        var patch = ParsePatch(media, body);
        if (media == ApplyPatchType && sub != "scale") ValidateApplyFields(ctx, def, body, ns, info.Name);
        var hasPrecondition = patch is JsonObject po && po["metadata"]?["resourceVersion"] is JsonValue;

        if (sub == "scale")
        {
            var scale = await ApplyScaleAsync(def, ns, info.Name, current => ApplyPatch(media, current, patch, null, def, options, force), options, ct).ConfigureAwait(false);
            await ResponseWriter.WriteObjectAsync(ctx, 200, scale, format).ConfigureAwait(false);
            return;
        }

        var (result, created) = await _store.GuaranteedUpdateAsync(def, ns, info.Name,
            current =>
            {
                var patched = ApplyPatch(media, current, patch, def.Schema, def, options, force);
                if (media != ApplyPatchType) ValidatePatchedFields(ctx, def, KubeJson.ToBytes(patched), Encoding.UTF8.GetString(body));
                return patched;
            },
            options, createIfMissing: media == ApplyPatchType && sub.Length == 0, hasPrecondition, ct).ConfigureAwait(false);
        ResponseWriter.AddWarnings(ctx, options.Warnings);
        await WriteSingleAsync(ctx, def, result, format, created ? 201 : 200).ConfigureAwait(false);
    }

    private static JsonNode ParsePatch(string media, byte[] body)
    {
        if (body.Length == 0) throw StatusError.BadRequest("the body of the request was empty");
        switch (media)
        {
            case JsonPatchType:
                return JsonPatch.Parse(body);
            case MergePatchType or StrategicMergePatchType:
                try
                {
                    return JsonNode.Parse(body, KubeJson.NodeOptions, KubeJson.DocumentOptions) as JsonObject
                        ?? throw StatusError.BadRequest("error decoding patch: json: cannot unmarshal into Go value of type map[string]interface {}");
                }
                catch (JsonException e)
                {
                    throw StatusError.BadRequest($"error decoding patch: {e.Message.Split(" Path:")[0]}");
                }
            case ApplyPatchType:
                return RequestBody.ParseYamlObject(body);
            default:
                throw new StatusError(415, "UnsupportedMediaType",
                    $"the body of the request was in an unknown format - accepted media types include: {JsonPatchType}, {MergePatchType}, {ApplyPatchType}, {StrategicMergePatchType}");
        }
    }

    private JsonObject ApplyPatch(string media, JsonObject? current, JsonNode patch, Anvil.Machinery.Schema.SchemaNode? schema, ResourceDefinition def, WriteOptions options, bool force)
    {
        JsonNode? result;
        switch (media)
        {
            case JsonPatchType:
                result = JsonPatch.Apply(current!, (JsonArray)patch.DeepClone());
                break;
            case MergePatchType:
                result = JsonMergePatch.Apply(current, patch.DeepClone());
                break;
            case StrategicMergePatchType:
                result = StrategicMergePatch.Apply(current!, (JsonObject)patch.DeepClone(), schema);
                break;
            case ApplyPatchType:
                return _fieldManagers.Apply(def, current, (JsonObject)patch.DeepClone(), options, force);
            default:
                throw StatusError.UnsupportedMediaType(media);
        }
        if (result is not JsonObject obj)
            throw StatusError.BadRequest("the patch produced something that is not an object");
        // A patch may not rename or move the object.
        if (current != null && ObjectMeta.Name(obj) != ObjectMeta.Name(current))
            throw StatusError.Invalid(def.Gvk, ObjectMeta.Name(current), [Anvil.Machinery.Validation.FieldError.Invalid("metadata.name", ObjectMeta.Name(obj), "field is immutable")]);
        return obj;
    }
}
