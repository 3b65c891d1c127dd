using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    private async Task CreateAsync(HttpContext ctx, ResourceDefinition def, string ns, RequestInfo info, UserInfo user, CancellationToken ct)
    {
        var format = Output(ctx);
        var body = await RequestBody.ReadAsync(ctx.Request, ct).ConfigureAwait(false);
        if (info.Subresource.Length > 0)
        {
            await CreateSubresourceAsync(ctx, def, ns, info, user, body, format, ct).ConfigureAwait(false);
            return;
        }
        RequireVerb(def, "create", "POST");
        if (info.Name.Length > 0) throw StatusError.MethodNotSupported(def.GroupResource, "POST");
        var options = BuildWriteOptions(ctx, user, "");
        var obj = DecodeFor(ctx, def, body, options);
        options.Stored = null;
        var created = await _store.CreateAsync(def, ns, obj, options, ct).ConfigureAwait(false);
        ResponseWriter.AddWarnings(ctx, options.Warnings);
        if (!await TryWriteStoredAsync(ctx, options, format, 201).ConfigureAwait(false))
            await WriteSingleAsync(ctx, def, created, format, 201).ConfigureAwait(false);
    }

    /// <summary>
    /// A plain JSON answer to a write the registry stored is the stored bytes with the new resourceVersion: the same
    /// bytes as serializing the returned object, without doing it. False when that does not apply.
    /// </summary>
    private static Task<bool> TryWriteStoredAsync(HttpContext ctx, WriteOptions options, OutputFormat format, int status) =>
        options.Stored is { } stored && format is { Shape: OutputShape.Object, Yaml: false }
            ? TryWriteStoredAsync(ctx, stored.Json, stored.Revision, status)
            : Task.FromResult(false);

    /// <summary>Writes stored JSON with <paramref name="revision"/> as its resourceVersion; false (nothing written) when it has no metadata to put it in.</summary>
    private static async Task<bool> TryWriteStoredAsync(HttpContext ctx, ReadOnlyMemory<byte> json, long revision, int status)
    {
        // Pooled: the body is copied into the response by the time the write completes.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(json.Length + StoredJson.MaxAdded);
        try
        {
            if (!StoredJson.TryCopyWithResourceVersion(json.Span, revision, buffer, out var length)) return false;
            await ResponseWriter.WriteBytesAsync(ctx, status, buffer.AsMemory(0, length), "application/json").ConfigureAwait(false);
            return true;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Decodes a body for <paramref name="def"/>: media type, apiVersion/kind agreement, field validation.</summary>
    private JsonObject DecodeFor(HttpContext ctx, ResourceDefinition def, byte[] body, WriteOptions options)
    {
        var obj = RequestBody.DecodeObject(body, ctx.Request.ContentType);
        CheckTypeMeta(def, obj);
        var media = RequestBody.MediaType(ctx.Request.ContentType);
        if (media is "application/json" or "") ValidateFields(ctx, def, body, JsonObjectKind.Json);
        else if (media == "application/yaml") ValidateFields(ctx, def, body, JsonObjectKind.Yaml);
        return obj;
    }

    private static void CheckTypeMeta(ResourceDefinition def, JsonObject obj)
    {
        CheckTypeMeta(def.ApiVersion, def.Kind, obj);
        if (obj["metadata"] is { } m && m is not JsonObject)
            throw StatusError.BadRequest($"{def.Kind} in version \"{def.Version}\" cannot be handled as a {def.Kind}: json: cannot unmarshal {m.GetValueKind().ToString().ToLowerInvariant()} into Go struct field {def.Kind}.metadata of type v1.ObjectMeta");
    }

    private async Task UpdateAsync(HttpContext ctx, ResourceDefinition def, string ns, RequestInfo info, UserInfo user, CancellationToken ct)
    {
        var format = Output(ctx);
        var body = await RequestBody.ReadAsync(ctx.Request, ct).ConfigureAwait(false);
        var sub = info.Subresource;
        if (sub is not ("" or "status" or "scale" or "finalize" or "approval" or "ephemeralcontainers"))
            throw StatusError.MethodNotSupported(def.GroupResource, $"PUT {sub}");
        RequireVerb(def, "update", "PUT");
        var options = BuildWriteOptions(ctx, user, sub);
        if (sub == "scale")
        {
            var scale = RequestBody.DecodeObject(body, ctx.Request.ContentType);
            var result = await ApplyScaleAsync(def, ns, info.Name, _ => scale, options, ct).ConfigureAwait(false);
            await ResponseWriter.WriteObjectAsync(ctx, 200, result, format).ConfigureAwait(false);
            return;
        }
        var obj = DecodeFor(ctx, def, body, options);
        options.Stored = null;
        var (stored, created) = await _store.UpdateAsync(def, ns, info.Name, obj, options, ct).ConfigureAwait(false);
        ResponseWriter.AddWarnings(ctx, options.Warnings);
        if (!await TryWriteStoredAsync(ctx, options, format, created ? 201 : 200).ConfigureAwait(false))
            await WriteSingleAsync(ctx, def, stored, format, created ? 201 : 200).ConfigureAwait(false);
    }

    /// <summary>Updates a workload through its Scale: <paramref name="change"/> maps the current Scale to the desired one.</summary>
    private async Task<JsonObject> ApplyScaleAsync(ResourceDefinition def, string ns, string name, Func<JsonObject, JsonObject> change, WriteOptions options, CancellationToken ct)
    {
        var (updated, _) = await _store.GuaranteedUpdateAsync(def, ns, name, current =>
        {
            var desired = change(Scale.FromObject(def, current!));
            var replicas = desired["spec"]?["replicas"];
            long value;
            try
            {
                value = replicas?.GetValue<long>() ?? 0;
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw StatusError.BadRequest("Scale in version \"v1\" cannot be handled as a Scale: json: cannot unmarshal into Go struct field ScaleSpec.spec.replicas of type int32");
            }
            if (value < 0)
                throw StatusError.Invalid(new GroupVersionKind("autoscaling", "v1", "Scale"), name, [Anvil.Machinery.Validation.FieldError.Invalid("spec.replicas", value, "must be greater than or equal to 0")]);
            var rv = ObjectMeta.ResourceVersion(desired);
            if (rv.Length > 0 && rv != ObjectMeta.ResourceVersion(current!)) throw StatusError.OptimisticLock(def.GroupResource, name);
            var spec = current!["spec"] as JsonObject ?? new JsonObject();
            current["spec"] = spec;
            spec["replicas"] = value;
            return current;
        }, options with { Subresource = "" }, createIfMissing: false, hasPrecondition: false, ct).ConfigureAwait(false);
        return Scale.FromObject(def, updated);
    }

    private async Task DeleteAsync(HttpContext ctx, ResourceDefinition def, string ns, RequestInfo info, UserInfo user, CancellationToken ct)
    {
        RequireVerb(def, "delete", "DELETE");
        if (info.Subresource.Length > 0) throw StatusError.MethodNotSupported(def.GroupResource, $"DELETE {info.Subresource}");
        var body = await RequestBody.ReadAsync(ctx.Request, ct).ConfigureAwait(false);
        var options = ParseDeleteOptions(ctx, body);
        var write = BuildWriteOptions(ctx, user, "");
        var result = await _store.DeleteAsync(def, ns, info.Name, options, write, ct).ConfigureAwait(false);
        var status = result.Removed ? 200 : 202;
        if (def.Strategy.ReturnDeletedObject || !result.Removed)
            await ResponseWriter.WriteObjectAsync(ctx, status, result.Object).ConfigureAwait(false);
        else
            await ResponseWriter.WriteObjectAsync(ctx, status, ResponseWriter.SuccessStatus(info.Name, def.Group, def.Resource, ObjectMeta.Uid(result.Object))).ConfigureAwait(false);
    }

    private async Task DeleteCollectionAsync(HttpContext ctx, ResourceDefinition def, string ns, UserInfo user, CancellationToken ct)
    {
        RequireVerb(def, "deletecollection", "DELETE");
        var body = await RequestBody.ReadAsync(ctx.Request, ct).ConfigureAwait(false);
        var options = ParseDeleteOptions(ctx, body);
        var write = BuildWriteOptions(ctx, user, "");
        var list = await _store.ListAsync(def, ns, new ListOptions { Predicate = BuildPredicate(ctx, def) }, ct).ConfigureAwait(false);
        var deleted = new JsonArray();
        foreach (var item in list.Items)
        {
            try
            {
                var r = await _store.DeleteAsync(def, ObjectMeta.Namespace(item), ObjectMeta.Name(item), options, write, ct).ConfigureAwait(false);
                deleted.Add(r.Object);
            }
            catch (StatusError e) when (e.Code == 404)
            {
                // Gone meanwhile: that is what was asked.
            }
        }
        var result = new JsonObject
        {
            ["kind"] = def.ListKind,
            ["apiVersion"] = def.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = _store.CurrentRevision.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        };
        await ResponseWriter.WriteObjectAsync(ctx, 200, result).ConfigureAwait(false);
    }

    /// <summary>DeleteOptions from the body (JSON or protobuf) with query parameters taking part as upstream allows.</summary>
    private static DeleteOptions ParseDeleteOptions(HttpContext ctx, byte[] body)
    {
        JsonObject? obj = null;
        if (body.Length > 0)
        {
            obj = RequestBody.DecodeObject(body, ctx.Request.ContentType);
            var kind = (string?)obj["kind"];
            if (kind != null && kind != "DeleteOptions")
                throw StatusError.BadRequest($"the kind in the data ({kind}) does not match the expected kind (DeleteOptions)");
        }
        var q = ctx.Request.Query;
        long? grace = null;
        try
        {
            if (obj?["gracePeriodSeconds"] is { } g) grace = g.GetValue<long>();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw StatusError.BadRequest("DeleteOptions in version \"v1\" cannot be handled as a DeleteOptions: json: cannot unmarshal into Go struct field DeleteOptions.gracePeriodSeconds of type int64");
        }
        if (q["gracePeriodSeconds"].ToString() is { Length: > 0 } gq)
        {
            if (!long.TryParse(gq, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var gv))
                throw StatusError.BadRequest($"gracePeriodSeconds: Invalid value: \"{gq}\": must be an integer");
            grace = gv;
        }
        var policyText = (obj?["propagationPolicy"] as JsonValue)?.GetValue<string>() ?? q["propagationPolicy"].ToString();
        PropagationPolicy? policy = policyText switch
        {
            "" => null,
            "Background" => PropagationPolicy.Background,
            "Foreground" => PropagationPolicy.Foreground,
            "Orphan" => PropagationPolicy.Orphan,
            _ => throw StatusError.Invalid(new GroupVersionKind("meta.k8s.io", "v1", "DeleteOptions"), "",
                [Anvil.Machinery.Validation.FieldError.NotSupported("propagationPolicy", policyText, ["Foreground", "Background", "Orphan", "nil"])]),
        };
        var orphanText = obj?["orphanDependents"]?.ToString() ?? q["orphanDependents"].ToString();
        if (orphanText.Length > 0)
        {
            if (policy != null)
                throw StatusError.Invalid(new GroupVersionKind("meta.k8s.io", "v1", "DeleteOptions"), "",
                    [Anvil.Machinery.Validation.FieldError.Invalid("propagationPolicy", policyText, "orphanDependents and deletionPropagation cannot be both set")]);
            policy = orphanText == "true" ? PropagationPolicy.Orphan : PropagationPolicy.Background;
        }
        var dryRun = obj?["dryRun"] is JsonArray dr && dr.Any(v => (string?)v == "All");
        return new DeleteOptions
        {
            GracePeriodSeconds = grace,
            Propagation = policy,
            PreconditionUid = (string?)obj?["preconditions"]?["uid"],
            PreconditionResourceVersion = (string?)obj?["preconditions"]?["resourceVersion"],
            DryRun = dryRun,
        };
    }
}
