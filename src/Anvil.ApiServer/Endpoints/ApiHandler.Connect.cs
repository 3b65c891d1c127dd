using System.Text;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Kubelet;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Microsoft.AspNetCore.Http;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    /// <summary>The client for nodes' kubelet APIs (pods/exec, pods/attach); null when there is none.</summary>
    public KubeletClient? Kubelet { get; set; }

    /// <summary>The subprotocols a WebSocket exec/attach may use, most preferred first.</summary>
    private static readonly string[] StreamProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

    /// <summary>
    /// pods/exec and pods/attach (GET with a WebSocket upgrade, as kubectl 1.32 sends; POST too): picks the
    /// container as kube-apiserver does, dials the kubelet of the pod's node and relays the streams. A kubelet's
    /// refusal reaches the client as it sent it, so kubectl shows "unable to upgrade connection: ...".
    /// </summary>
    private async Task ConnectAsync(HttpContext ctx, ResourceDefinition def, string ns, RequestInfo info, CancellationToken ct)
    {
        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsPost(ctx.Request.Method))
            throw StatusError.MethodNotSupported(def.GroupResource, ctx.Request.Method);
        var exec = info.Subresource == "exec";
        var pod = await _store.GetAsync(def, ns, info.Name, ct).ConfigureAwait(false);
        var q = ctx.Request.Query;
        var container = StreamContainer(pod, info.Name, q["container"].ToString());
        bool Flag(string name)
        {
            var v = q[name].ToString();
            if (v.Length == 0) return false;
            return v is "true" or "1" or "True" || (v is "false" or "0" or "False"
                ? false : throw StatusError.BadRequest($"strconv.ParseBool: parsing \"{v}\": invalid syntax"));
        }
        var stdin = Flag("stdin");
        var stdout = Flag("stdout");
        var stderr = Flag("stderr");
        var tty = Flag("tty");
        var command = q["command"].Where(c => c != null).Select(c => c!).ToList();
        if (exec && command.Count == 0) throw StatusError.BadRequest("you must specify at least one command for the container");
        if (!stdin && !stdout && !stderr) throw StatusError.BadRequest("you must specify at least 1 of stdin, stdout, stderr");

        // The kubelet's parameters, as kube-apiserver builds them from PodExecOptions/PodAttachOptions.
        var query = new StringBuilder();
        void Add(string k, string v) => query.Append(query.Length == 0 ? '?' : '&').Append(k).Append('=').Append(Uri.EscapeDataString(v));
        if (stdin) Add("input", "1");
        if (stdout) Add("output", "1");
        if (stderr) Add("error", "1");
        if (tty) Add("tty", "1");
        foreach (var c in command) Add("command", c);
        var url = await KubeletUrlAsync(pod, info.Name, $"/{info.Subresource}/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(info.Name)}/{Uri.EscapeDataString(container)}{query}", ct).ConfigureAwait(false);
        var kubelet = KubeletOrThrow();

        var offered = ctx.WebSockets.IsWebSocketRequest
            ? ctx.WebSockets.WebSocketRequestedProtocols.Where(p => StreamProtocols.Contains(p)).ToList()
            : [.. StreamProtocols];
        if (offered.Count == 0) offered = [.. StreamProtocols];
        var connection = await DialKubeletAsync(() => kubelet.ConnectWebSocketAsync(url, offered, ct)).ConfigureAwait(false);
        if (connection.WebSocket is not { } backend)
        {
            await RelayKubeletRefusalAsync(ctx, connection.StatusCode, connection.ContentType, connection.ErrorText, ct).ConfigureAwait(false);
            return;
        }
        using (backend)
        {
            if (!ctx.WebSockets.IsWebSocketRequest)
            {
                backend.Abort();
                throw StatusError.BadRequest("Upgrade request required");
            }
            using var client = await ctx.WebSockets.AcceptWebSocketAsync(connection.Protocol.Length > 0 ? connection.Protocol : null).ConfigureAwait(false);
            await WebSocketRelay.RunAsync(client, backend, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Opens a stream to the kubelet; failing to reach it is a 500 in kube-apiserver's words.</summary>
    private static async Task<T> DialKubeletAsync<T>(Func<Task<T>> dial)
    {
        try
        {
            return await dial().ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or System.Security.Authentication.AuthenticationException)
        {
            throw StatusError.InternalError($"error dialing backend: {e.Message}");
        }
    }

    /// <summary>As the upgrade-aware proxy does: a kubelet that refused the upgrade has its answer reach the client unchanged.</summary>
    private static async Task RelayKubeletRefusalAsync(HttpContext ctx, int statusCode, string contentType, string text, CancellationToken ct)
    {
        ctx.Response.StatusCode = statusCode;
        ctx.Response.ContentType = contentType;
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
    }

    /// <summary>The container a stream addresses: the one asked for, else the only one (kube-apiserver's rules).</summary>
    private static string StreamContainer(JsonObject pod, string name, string container)
    {
        static List<string> Names(JsonNode? list) => (list as JsonArray ?? []).Select(c => (string?)c?["name"]).OfType<string>().ToList();
        var regular = Names(pod["spec"]?["containers"]);
        var init = Names(pod["spec"]?["initContainers"]);
        var ephemeral = Names(pod["spec"]?["ephemeralContainers"]);
        if (container.Length == 0)
        {
            if (regular.Count == 1) return regular[0];
            if (regular.Count == 0) throw StatusError.BadRequest($"a container name must be specified for pod {name}");
            var message = $"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", regular)}]";
            if (init.Count > 0) message += $" or one of the init containers: [{string.Join(" ", init)}]";
            throw StatusError.BadRequest(message);
        }
        if (!regular.Contains(container) && !init.Contains(container) && !ephemeral.Contains(container))
            throw StatusError.BadRequest($"container {container} is not valid for pod {name}");
        return container;
    }

    /// <summary>The node's InternalIP and kubelet port (status.daemonEndpoints.kubeletEndpoint.Port, else 10250).</summary>
    internal static (string? Host, int Port) KubeletAddress(JsonObject node)
    {
        var status = node["status"];
        var host = (status?["addresses"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(a => (string?)a["type"] == "InternalIP").Select(a => (string?)a["address"]).FirstOrDefault(a => !string.IsNullOrEmpty(a));
        var port = status?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"] is JsonValue v && v.TryGetValue<int>(out var p) && p is > 0 and <= 65535 ? p : 10250;
        return (host, port);
    }
}
