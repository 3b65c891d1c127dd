using System.Text;
using Anvil.ApiServer.Kubelet;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Anvil.ApiServer.Endpoints;

public sealed partial class ApiHandler
{
    /// <summary>What kubectl 1.31+ prefixes SPDY protocols with to tunnel them over a WebSocket.</summary>
    private const string SpdyTunnelPrefix = "SPDY/3.1+";

    /// <summary>
    /// pods/portforward: the kubelet of the pod's node speaks SPDY/3.1 (<c>portforward.k8s.io</c>). kubectl 1.32 tunnels
    /// that SPDY over a WebSocket with subprotocol <c>SPDY/3.1+portforward.k8s.io</c> (PortForwardWebsockets); as
    /// kube-apiserver's tunneling handler does, the kubelet connection is upgraded to SPDY first, then the client's
    /// WebSocket is accepted and the bytes pass through unchanged. A plain SPDY upgrade (kubectl's fallback) is
    /// passed through the same way.
    /// </summary>
    private async Task PortForwardAsync(HttpContext ctx, ResourceDefinition def, string ns, RequestInfo info, CancellationToken ct)
    {
        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsPost(ctx.Request.Method))
            throw StatusError.MethodNotSupported(def.GroupResource, ctx.Request.Method);
        var pod = await _store.GetAsync(def, ns, info.Name, ct).ConfigureAwait(false);
        var websocket = ctx.WebSockets.IsWebSocketRequest;
        var upgrade = ctx.Features.Get<IHttpUpgradeFeature>();
        List<string> protocols;
        if (websocket)
        {
            var requested = ctx.WebSockets.WebSocketRequestedProtocols;
            protocols = requested.Where(p => p.StartsWith(SpdyTunnelPrefix, StringComparison.Ordinal) && p.EndsWith(".k8s.io", StringComparison.Ordinal))
                .Select(p => p[SpdyTunnelPrefix.Length..]).ToList();
            if (protocols.Count == 0)
                throw StatusError.BadRequest($"unable to upgrade: unable to negotiate protocol: client supports [{string.Join(" ", requested)}], server supports [{SpdyTunnelPrefix}portforward.k8s.io]");
        }
        else
        {
            if (upgrade is not { IsUpgradableRequest: true } || !ctx.Request.Headers.Upgrade.ToString().StartsWith("SPDY/3.1", StringComparison.OrdinalIgnoreCase))
                throw StatusError.BadRequest("Upgrade request required");
            protocols = ctx.Request.Headers["X-Stream-Protocol-Version"].SelectMany(v => (v ?? "").Split(',')).Select(v => v.Trim()).Where(v => v.Length > 0).ToList();
        }
        var url = await KubeletUrlAsync(pod, info.Name, $"/portForward/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(info.Name)}", ct).ConfigureAwait(false);
        var backend = await DialKubeletAsync(() => KubeletOrThrow().UpgradeSpdyAsync(url, protocols, ct)).ConfigureAwait(false);
        if (backend.Stream is not { } kubelet)
        {
            await RelayKubeletRefusalAsync(ctx, backend.StatusCode, backend.ContentType, backend.ErrorText, ct).ConfigureAwait(false);
            return;
        }
        var protocol = backend.Protocol.Length > 0 ? backend.Protocol : protocols.FirstOrDefault() ?? "";
        if (websocket)
        {
            using var client = await TunnelWebSocket.AcceptAsync(ctx, SpdyTunnelPrefix + protocol).ConfigureAwait(false);
            await TunnelRelay.RunAsync(client, kubelet, ct).ConfigureAwait(false);
            return;
        }
        ctx.Response.Headers.Upgrade = "SPDY/3.1";
        if (protocol.Length > 0) ctx.Response.Headers["X-Stream-Protocol-Version"] = protocol;
        var raw = await upgrade!.UpgradeAsync().ConfigureAwait(false);
        await TunnelRelay.RunAsync(raw, kubelet, ct).ConfigureAwait(false);
    }
}
