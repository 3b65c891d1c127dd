using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Anvil.ApiServer.Kubelet;

/// <summary>
/// Accepts a WebSocket whose subprotocol is not an RFC token, such as <c>SPDY/3.1+portforward.k8s.io</c>
/// (ASP.NET Core refuses '/' in a subprotocol): the handshake is answered here and the upgraded stream framed
/// as a server WebSocket.
/// </summary>
public static class TunnelWebSocket
{
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static async Task<WebSocket> AcceptAsync(HttpContext ctx, string subProtocol)
    {
        var upgrade = ctx.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true }) throw new InvalidOperationException("the request cannot be upgraded");
        var key = ctx.Request.Headers["Sec-WebSocket-Key"].ToString();
        ctx.Response.Headers.Upgrade = "websocket";
        ctx.Response.Headers["Sec-WebSocket-Accept"] = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Guid)));
        ctx.Response.Headers["Sec-WebSocket-Protocol"] = subProtocol;
        var stream = await upgrade.UpgradeAsync().ConfigureAwait(false);
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.FromSeconds(30) });
    }
}
