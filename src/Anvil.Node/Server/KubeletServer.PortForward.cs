using System.Net;
using System.Net.Sockets;
using Anvil.Node.PortForward;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.Server;

public sealed partial class KubeletServer
{
    /// <summary>The stream protocol the kubelet speaks for port forwarding.</summary>
    public const string PortForwardProtocol = "portforward.k8s.io";

    /// <summary>
    /// /portForward/{namespace}/{pod}[/{uid}]: upgrades to SPDY/3.1 with <c>X-Stream-Protocol-Version:
    /// portforward.k8s.io</c> and forwards each requested port to the pod's address on the node's bridge (the
    /// host network's loopback for a pod on the host network).
    /// </summary>
    private async Task PortForwardAsync(HttpContext ctx, string ns, string pod, string? uid)
    {
        var ct = RequestToken(ctx);
        var containers = (await _agent.Runtime.ListContainersAsync(null, ct).ConfigureAwait(false))
            .Where(c => c.PodNamespace == ns && c.PodName == pod && (uid == null || c.PodUid == uid)).ToList();
        if (containers.Count == 0)
        {
            await TextAsync(ctx, 404, "pod does not exist").ConfigureAwait(false);
            return;
        }
        var podUid = containers[0].PodUid;
        var upgrade = ctx.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true } || !ctx.Request.Headers.Upgrade.ToString().StartsWith("SPDY/3.1", StringComparison.OrdinalIgnoreCase))
        {
            await TextAsync(ctx, 400, "Upgrade request required").ConfigureAwait(false);
            return;
        }
        var offered = ctx.Request.Headers["X-Stream-Protocol-Version"].SelectMany(v => (v ?? "").Split(',')).Select(v => v.Trim()).Where(v => v.Length > 0).ToList();
        if (offered.Count > 0 && !offered.Contains(PortForwardProtocol))
        {
            await TextAsync(ctx, 403, $"unable to upgrade: unable to negotiate protocol: client supports [{string.Join(" ", offered)}], server supports [{PortForwardProtocol}]").ConfigureAwait(false);
            return;
        }
        var ip = await _agent.Runtime.PodSandboxIPAsync(podUid, ct).ConfigureAwait(false);
        var address = ip != null && IPAddress.TryParse(ip, out var a) ? a : IPAddress.Loopback;
        ctx.Response.Headers["X-Stream-Protocol-Version"] = PortForwardProtocol;
        ctx.Response.Headers.Upgrade = "SPDY/3.1";
        var transport = await upgrade.UpgradeAsync().ConfigureAwait(false);
        _log.LogInformation("portforward session pod={Namespace}/{Pod} address={Address}", ns, pod, address);
        async Task<Socket> Dial(int port, CancellationToken c)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(c);
                bound.CancelAfter(TimeSpan.FromSeconds(10));
                await socket.ConnectAsync(new IPEndPoint(address, port), bound.Token).ConfigureAwait(false);
                return socket;
            }
            catch (Exception e)
            {
                socket.Dispose();
                if (e is OperationCanceledException && !c.IsCancellationRequested) throw new SocketException((int)SocketError.TimedOut);
                throw;
            }
        }
        await new PortForwardSession(Dial, $"{ns}/{pod}, uid {podUid}", _log).RunAsync(transport, ct).ConfigureAwait(false);
    }
}
