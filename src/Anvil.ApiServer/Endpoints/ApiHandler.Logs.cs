using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    /// <summary>Log sources by node name (the in-process node agent registers itself).</summary>
    public ConcurrentDictionary<string, INodeLogs> NodeLogs { get; } = new();

    /// <summary>
    /// GET pods/{name}/log: picks the container as kube-apiserver does (the only one, or <c>container=</c>),
    /// then asks the pod's node. Follow streams are not implemented yet: the current log is returned.
    /// </summary>
    private async Task GetLogAsync(HttpContext ctx, ResourceDefinition def, string ns, string name, CancellationToken ct)
    {
        var pod = await _store.GetAsync(def, ns, name, ct).ConfigureAwait(false);
        var q = ctx.Request.Query;
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).Concat(pod["spec"]?["initContainers"] as JsonArray ?? [])
            .Select(c => (string?)c?["name"]).OfType<string>().ToList();
        var container = q["container"].ToString();
        if (container.Length == 0)
        {
            var regular = (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => (string?)c?["name"]).OfType<string>().ToList();
            if (ObjectMeta.Annotations(pod)?["kubectl.kubernetes.io/default-container"] is JsonValue d && d.TryGetValue<string>(out var dflt)) container = dflt;
            else if (regular.Count == 1) container = regular[0];
            else throw StatusError.BadRequest($"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", regular)}]");
        }
        if (!containers.Contains(container)) throw StatusError.BadRequest($"container {container} is not valid for pod {name}");
        var nodeName = (string?)pod["spec"]?["nodeName"] ?? "";
        if (nodeName.Length == 0) throw StatusError.BadRequest($"pod {name} does not have a host assigned");
        if (!NodeLogs.TryGetValue(nodeName, out var node))
            throw new StatusError(503, "ServiceUnavailable", $"no connection to the node {nodeName} that runs pod {name}");

        var request = new ContainerLogRequest(ns, name, container, q["previous"].ToString() == "true",
            Number(q["tailLines"], "tailLines"), Number(q["sinceSeconds"], "sinceSeconds"), q["timestamps"].ToString() == "true", Number(q["limitBytes"], "limitBytes"));
        if (q["follow"].ToString() == "true")
        {
            await FollowLogAsync(ctx, node, request, ct).ConfigureAwait(false);
            return;
        }
        var text = await node.ReadAsync(request, ct).ConfigureAwait(false);
        if (text == null)
        {
            var waiting = (pod["status"]?["containerStatuses"] as JsonArray ?? []).OfType<JsonObject>()
                .FirstOrDefault(s => (string?)s["name"] == container)?["state"]?["waiting"]?["reason"];
            throw request.Previous
                ? StatusError.BadRequest($"previous terminated container \"{container}\" in pod \"{name}\" not found")
                : StatusError.BadRequest($"container \"{container}\" in pod \"{name}\" is waiting to start: {(string?)waiting ?? "ContainerCreating"}");
        }
        await ResponseWriter.WriteBytesAsync(ctx, 200, Encoding.UTF8.GetBytes(text), "text/plain").ConfigureAwait(false);
    }

    /// <summary>Streams a growing log as chunked text/plain until the container stops or the client goes.</summary>
    private static async Task FollowLogAsync(HttpContext ctx, INodeLogs node, ContainerLogRequest request, CancellationToken ct)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain";
        await ctx.Response.StartAsync(ct).ConfigureAwait(false);
        await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
        try
        {
            await foreach (var chunk in node.FollowAsync(request, ct).ConfigureAwait(false))
            {
                await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(chunk), ct).ConfigureAwait(false);
                await ctx.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The client stopped following.
        }
    }

    private static long? Number(Microsoft.Extensions.Primitives.StringValues value, string name)
    {
        var text = value.ToString();
        if (text.Length == 0) return null;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < 0)
            throw StatusError.BadRequest($"{name}: Invalid value: \"{text}\": must be a non-negative integer");
        return n;
    }
}
