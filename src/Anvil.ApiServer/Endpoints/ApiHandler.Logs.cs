using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Kubelet;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    /// <summary>
    /// GET pods/{name}/log: picks the container as kube-apiserver does (the only one, or <c>container=</c>), then
    /// streams the kubelet's <c>/containerLogs</c> of the pod's node to the client (follow included). The kubelet's
    /// refusal (container waiting, no previous instance) reaches the client as a Status with its text.
    /// </summary>
    private async Task GetLogAsync(HttpContext ctx, ResourceDefinition def, string ns, string name, CancellationToken ct)
    {
        var pod = await _store.GetAsync(def, ns, name, ct).ConfigureAwait(false);
        var q = ctx.Request.Query;
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).Concat(pod["spec"]?["initContainers"] as JsonArray ?? [])
            .Concat(pod["spec"]?["ephemeralContainers"] as JsonArray ?? []).Select(c => (string?)c?["name"]).OfType<string>().ToList();
        var container = q["container"].ToString();
        if (container.Length == 0)
        {
            var regular = (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => (string?)c?["name"]).OfType<string>().ToList();
            if (ObjectMeta.Annotations(pod)?["kubectl.kubernetes.io/default-container"] is JsonValue d && d.TryGetValue<string>(out var dflt)) container = dflt;
            else if (regular.Count == 1) container = regular[0];
            else throw StatusError.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", regular)}]");
        }
        if (!containers.Contains(container)) throw StatusError.BadRequest($"container {container} is not valid for pod {name}");

        // The kubelet's parameters, as kube-apiserver passes PodLogOptions on.
        var query = new StringBuilder();
        void Add(string k, string v) => query.Append(query.Length == 0 ? '?' : '&').Append(k).Append('=').Append(Uri.EscapeDataString(v));
        foreach (var flag in new[] { "follow", "previous", "timestamps" })
            if (Bool(q[flag].ToString(), flag)) Add(flag, "true");
        foreach (var number in new[] { "tailLines", "sinceSeconds", "limitBytes" })
            if (Number(q[number], number) is { } n) Add(number, n.ToString(CultureInfo.InvariantCulture));
        var sinceTime = q["sinceTime"].ToString();
        if (sinceTime.Length > 0)
        {
            if (!DateTimeOffset.TryParse(sinceTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since))
                throw StatusError.BadRequest($"parsing time \"{sinceTime}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"{sinceTime}\" as \"2006\"");
            if (q["sinceSeconds"].ToString().Length > 0)
                throw StatusError.BadRequest("at most one of `sinceTime` or `sinceSeconds` may be specified");
            Add("sinceTime", since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }

        var url = await KubeletUrlAsync(pod, name, $"/containerLogs/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(container)}{query}", ct).ConfigureAwait(false);
        HttpResponseMessage response;
        try
        {
            response = await KubeletOrThrow().GetAsync(url, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Security.Authentication.AuthenticationException)
        {
            throw StatusError.InternalError($"Get \"{url}\": {e.Message}");
        }
        using (response)
        {
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
                throw KubeletError((int)response.StatusCode, await KubeletClient.ErrorTextAsync(response, ct).ConfigureAwait(false));
            await StreamLogAsync(ctx, response, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Copies the kubelet's body as chunked text/plain, flushing each read (a followed log arrives line by line).</summary>
    private static async Task StreamLogAsync(HttpContext ctx, HttpResponseMessage response, CancellationToken ct)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain";
        await ctx.Response.StartAsync(ct).ConfigureAwait(false);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new byte[16 * 1024];
            int n;
            while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
            // The client stopped following, or the kubelet went away: the stream just ends.
        }
    }

    /// <summary>A kubelet's non-200 answer as the Status kube-apiserver makes of it (its text is the message).</summary>
    private static StatusError KubeletError(int code, string text)
    {
        var message = text.Trim();
        return code switch
        {
            404 => new StatusError(404, "NotFound", message),
            403 => new StatusError(403, "Forbidden", message),
            >= 500 => new StatusError(code, "InternalError", message),
            _ => StatusError.BadRequest(message),
        };
    }

    private KubeletClient KubeletOrThrow() => Kubelet ?? throw new StatusError(503, "ServiceUnavailable", "no kubelet client is configured");

    /// <summary>The URL of <paramref name="pathAndQuery"/> on the kubelet of the pod's node (its InternalIP and kubelet port).</summary>
    private async Task<Uri> KubeletUrlAsync(JsonObject pod, string name, string pathAndQuery, CancellationToken ct)
    {
        var nodeName = (string?)pod["spec"]?["nodeName"] ?? "";
        if (nodeName.Length == 0) throw StatusError.BadRequest($"pod {name} does not have a host assigned");
        var node = await _store.GetAsync(_catalog.Find("", "v1", "nodes")!, "", nodeName, ct).ConfigureAwait(false);
        var (host, port) = KubeletAddress(node);
        if (host == null) throw StatusError.InternalError($"node {nodeName} has no InternalIP address");
        var hostPart = host.Contains(':') ? $"[{host}]" : host;
        return new Uri($"https://{hostPart}:{port}{pathAndQuery}");
    }

    private static bool Bool(string text, string name) => text switch
    {
        "" or "false" or "0" or "False" => false,
        "true" or "1" or "True" => true,
        _ => throw StatusError.BadRequest($"{name}: Invalid value: \"{text}\": strconv.ParseBool: parsing \"{text}\": invalid syntax"),
    };

    private static long? Number(Microsoft.Extensions.Primitives.StringValues value, string name)
    {
        var text = value.ToString();
        if (text.Length == 0) return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < 0)
            throw StatusError.BadRequest($"{name}: Invalid value: \"{text}\": must be a non-negative integer");
        return n;
    }
}
