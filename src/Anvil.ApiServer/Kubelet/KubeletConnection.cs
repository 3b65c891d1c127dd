using System.Net.WebSockets;

namespace Anvil.ApiServer.Kubelet;

/// <summary>A kubelet's answer to an upgrade: the WebSocket and its protocol, or the status and text it refused with.</summary>
public sealed record KubeletConnection(WebSocket? WebSocket, string Protocol, int StatusCode, string ErrorText, string ContentType);
