using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Node.Logs;
using Anvil.Node.Pods;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Anvil.Node.Server;

public sealed partial class KubeletServer
{
    /// <summary>
    /// GET /containerLogs/{namespace}/{pod}/{container}: the container's log as chunked text/plain with the
    /// kubelet's parameters (follow, previous, tailLines, sinceSeconds, sinceTime, timestamps, limitBytes).
    /// A container without a log is a 400 in the kubelet's words, which the API server passes on.
    /// </summary>
    private async Task ContainerLogsAsync(HttpContext ctx, string ns, string pod, string container)
    {
        var ct = RequestToken(ctx);
        var q = ctx.Request.Query;
        static bool Flag(StringValues v) => v.ToString() is "true" or "1";
        LogOptions options;
        try
        {
            var sinceTime = q["sinceTime"].ToString();
            options = new LogOptions(Number(q["tailLines"], "tailLines"), Number(q["sinceSeconds"], "sinceSeconds"), Flag(q["timestamps"]),
                Number(q["limitBytes"], "limitBytes"),
                sinceTime.Length == 0 ? null : DateTimeOffset.Parse(sinceTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));
        }
        catch (FormatException e)
        {
            await TextAsync(ctx, 400, $"Unable to decode query: {e.Message}").ConfigureAwait(false);
            return;
        }
        var previous = Flag(q["previous"]);
        var reader = new ContainerLogReader(_agent.Runtime);
        var instance = await reader.FindAsync(ns, pod, container, previous, ct).ConfigureAwait(false);
        if (instance == null)
        {
            var (status, message) = await MissingLogAsync(ns, pod, container, previous, ct).ConfigureAwait(false);
            await TextAsync(ctx, status, message).ConfigureAwait(false);
            return;
        }
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain";
        await ctx.Response.StartAsync(ct).ConfigureAwait(false);
        try
        {
            await foreach (var chunk in reader.ReadAsync(instance, options, Flag(q["follow"]), ct).ConfigureAwait(false))
            {
                await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(chunk), ct).ConfigureAwait(false);
                await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The API server stopped reading (the user ended the follow).
        }
    }

    /// <summary>Why a container has no log, from the pod's status as the kubelet words it (validateContainerLogStatus).</summary>
    private async Task<(int Status, string Message)> MissingLogAsync(string ns, string pod, string container, bool previous, CancellationToken ct)
    {
        JsonObject obj;
        try
        {
            obj = await _agent.Client.GetAsync(NodeAgent.Pods, ns, pod, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return (404, $"pod \"{pod}\" does not exist");
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or IOException)
        {
            _log.LogWarning("reading pod for logs failed pod={Namespace}/{Pod} error={Error}", ns, pod, e.Message);
            obj = new JsonObject();
        }
        if (previous) return (400, $"previous terminated container \"{container}\" in pod \"{pod}\" not found");
        var statuses = new[] { "containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses" }
            .SelectMany(k => obj["status"]?[k] as JsonArray ?? []).OfType<JsonObject>();
        var status = statuses.FirstOrDefault(s => (string?)s["name"] == container);
        if (status?["state"]?["waiting"] is JsonObject waiting)
        {
            var reason = (string?)waiting["reason"] ?? "";
            return (400, reason switch
            {
                "ErrImagePull" => $"container \"{container}\" in pod \"{pod}\" is waiting to start: image can't be pulled",
                "ImagePullBackOff" => $"container \"{container}\" in pod \"{pod}\" is waiting to start: trying and failing to pull image",
                _ => $"container \"{container}\" in pod \"{pod}\" is waiting to start: {reason}",
            });
        }
        if (status == null && (string?)obj["status"]?["phase"] is null or "Pending")
            return (400, $"container \"{container}\" in pod \"{pod}\" is waiting to start: ContainerCreating");
        return (400, $"container \"{container}\" in pod \"{pod}\" is not available");
    }

    private static long? Number(StringValues value, string name)
    {
        var text = value.ToString();
        if (text.Length == 0) return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < 0)
            throw new FormatException($"{name}: invalid value \"{text}\"");
        return n;
    }
}
