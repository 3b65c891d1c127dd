using System.Net;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Anvil.Machinery.Tls;

namespace Anvil.ApiServer.Kubelet;

/// <summary>
/// The API server's client for kubelets' HTTPS APIs (kube-apiserver's <c>--kubelet-client-certificate</c>):
/// authenticates with the <see cref="ClientName"/> certificate from the cluster CA and trusts a kubelet only
/// with a serving certificate from that CA for the address dialled.
/// </summary>
public sealed class KubeletClient : IDisposable
{
    /// <summary>The CN kubelets allow (kubeadm's apiserver-kubelet-client).</summary>
    public const string ClientName = "kube-apiserver-kubelet-client";

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private const int MaxErrorBody = 64 * 1024;

    private readonly HttpMessageInvoker _http;
    private readonly X509Certificate2 _ca;

    public KubeletClient(X509Certificate2 clientCertificate, X509Certificate2 ca)
    {
        _ca = ca;
        _http = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectTimeout = ConnectTimeout,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [clientCertificate],
                RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                    cert is X509Certificate2 c && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 && ClusterTrust.ChainsTo(c, _ca),
            },
        });
    }

    /// <summary>
    /// Opens a WebSocket to a kubelet endpoint offering <paramref name="protocols"/>. A kubelet that refuses
    /// answers with its status code and text, which the caller relays.
    /// </summary>
    public async Task<KubeletConnection> ConnectWebSocketAsync(Uri url, IReadOnlyList<string> protocols, CancellationToken ct)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        using var request = new HttpRequestMessage(HttpMethod.Get, url) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Key", key);
        if (protocols.Count > 0) request.Headers.TryAddWithoutValidation("Sec-WebSocket-Protocol", string.Join(", ", protocols));
        var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
        {
            using (response)
            {
                var body = await ReadBoundedAsync(response.Content, ct).ConfigureAwait(false);
                return new KubeletConnection(null, "", (int)response.StatusCode, body, response.Content.Headers.ContentType?.ToString() ?? "text/plain");
            }
        }
        var accept = response.Headers.TryGetValues("Sec-WebSocket-Accept", out var a) ? a.FirstOrDefault() : null;
        var expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        if (accept != expected)
        {
            response.Dispose();
            throw new IOException("the kubelet's WebSocket handshake is not valid (Sec-WebSocket-Accept)");
        }
        var protocol = response.Headers.TryGetValues("Sec-WebSocket-Protocol", out var p) ? p.FirstOrDefault() ?? "" : "";
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var ws = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, SubProtocol = protocol.Length > 0 ? protocol : null, KeepAliveInterval = TimeSpan.FromSeconds(30) });
        return new KubeletConnection(ws, protocol, 101, "", "");
    }

    /// <summary>
    /// GET on a kubelet endpoint; the response is returned once its headers are in, its body still streaming
    /// (logs with follow). The caller disposes it.
    /// </summary>
    public async Task<HttpResponseMessage> GetAsync(Uri url, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower };
        return await _http.SendAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>Reads a refused request's body (bounded), for the error passed on to the client.</summary>
    public static Task<string> ErrorTextAsync(HttpResponseMessage response, CancellationToken ct) => ReadBoundedAsync(response.Content, ct);

    /// <summary>
    /// Upgrades a kubelet connection to SPDY/3.1 with the given <c>X-Stream-Protocol-Version</c>s (port forwarding):
    /// the raw duplex stream after 101, or the status and text the kubelet refused with.
    /// </summary>
    public async Task<KubeletUpgrade> UpgradeSpdyAsync(Uri url, IReadOnlyList<string> protocols, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Connection.Add("Upgrade");
        request.Headers.TryAddWithoutValidation("Upgrade", "SPDY/3.1");
        foreach (var p in protocols) request.Headers.TryAddWithoutValidation("X-Stream-Protocol-Version", p);
        var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
        {
            using (response)
            {
                var body = await ReadBoundedAsync(response.Content, ct).ConfigureAwait(false);
                return new KubeletUpgrade(null, "", (int)response.StatusCode, body, response.Content.Headers.ContentType?.ToString() ?? "text/plain");
            }
        }
        var protocol = response.Headers.TryGetValues("X-Stream-Protocol-Version", out var v) ? v.FirstOrDefault() ?? "" : "";
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        return new KubeletUpgrade(stream, protocol, 101, "", "");
    }

    private static async Task<string> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        await using var s = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[MaxErrorBody];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await s.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false)) > 0) total += n;
        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    public void Dispose() => _http.Dispose();
}
