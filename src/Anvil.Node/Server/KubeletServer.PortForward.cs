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
    /// portforward.k8s.io</c> and forwards each requested port to localhost inside the pod's network namespace
    /// (the host's loopback for a pod on the host network).
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
        var netns = await _agent.Runtime.PodSandboxNetnsAsync(podUid, ct).ConfigureAwait(false);
        ctx.Response.Headers["X-Stream-Protocol-Version"] = PortForwardProtocol;
        ctx.Response.Headers.Upgrade = "SPDY/3.1";
        var transport = await upgrade.UpgradeAsync().ConfigureAwait(false);
        _log.LogInformation("portforward session pod={Namespace}/{Pod} netns={Netns}", ns, pod, netns ?? "host");
        // As CRI runtimes do: localhost inside the pod's network namespace (the host's for a host-network pod).
        async Task<Socket> Dial(int port, CancellationToken c)
        {
            var socket = netns != null
                ? await NetnsSocket.CreateAsync(netns).ConfigureAwait(false)
                : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(c);
                bound.CancelAfter(TimeSpan.FromSeconds(10));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), bound.Token).ConfigureAwait(false);
                return socket;
            }
            catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !c.IsCancellationRequested))
            {
                socket.Dispose();
                var why = e is SocketException se ? se.Message : "connection timed out";
                throw new IOException(netns != null
                    ? $"failed to connect to localhost:{port} inside namespace \"{netns}\": {why}"
                    : $"failed to connect to localhost:{port}: {why}");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        await new PortForwardSession(Dial, $"{ns}/{pod}, uid {podUid}", _log).RunAsync(transport, ct).ConfigureAwait(false);
    }
}
