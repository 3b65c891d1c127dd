using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Serialization;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

/// <summary>Writes API responses: objects as JSON or YAML, Status errors, warnings.</summary>
public static class ResponseWriter
{
    public static async Task WriteObjectAsync(HttpContext ctx, int status, JsonNode body, OutputFormat? format = null)
    {
        ctx.Response.StatusCode = status;
        if (format is { Yaml: true })
        {
            ctx.Response.ContentType = "application/yaml";
            await ctx.Response.WriteAsync(Yaml.FromJson(body), ctx.RequestAborted).ConfigureAwait(false);
            return;
        }
        ctx.Response.ContentType = "application/json";
        var bytes = KubeJson.ToBytes(body);
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted).ConfigureAwait(false);
    }

    public static async Task WriteBytesAsync(HttpContext ctx, int status, ReadOnlyMemory<byte> body, string contentType)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).ConfigureAwait(false);
    }

    public static Task WriteErrorAsync(HttpContext ctx, StatusError error)
    {
        if (error.RetryAfterSeconds is { } retry) ctx.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteObjectAsync(ctx, error.Code, error.ToStatus());
    }

    /// <summary>Adds <c>Warning: 299 - "text"</c> headers as kube-apiserver does.</summary>
    public static void AddWarnings(HttpContext ctx, IEnumerable<string> warnings)
    {
        foreach (var w in warnings.Distinct())
            ctx.Response.Headers.Append("Warning", "299 - \"" + w.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"");
    }

    /// <summary>A Success Status, as DELETE returns for most kinds.</summary>
    public static JsonObject SuccessStatus(string name, string group, string resource, string uid)
    {
        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0) details["group"] = group;
        details["kind"] = resource;
        if (uid.Length > 0) details["uid"] = uid;
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }
}
