using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Serialization;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Admission.Webhooks;

/// <summary>
/// Posts AdmissionReviews over HTTPS. <c>clientConfig.url</c> is dialled as given; a <c>clientConfig.service</c> is
/// resolved to a ready address of its Endpoints (as kube-apiserver does with <c>--enable-aggregator-routing</c>):
/// the API server runs on the host, where pod addresses are routable over the pod network, while a ClusterIP
/// only works where the node's service proxy rules exist (not with <c>--no-node</c>). TLS still checks the
/// certificate against <c>caBundle</c> for the name <c>&lt;service&gt;.&lt;namespace&gt;.svc</c>.
/// </summary>
public sealed class WebhookClient(Func<ResourceStore> store, Func<ResourceCatalog> catalog) : IDisposable
{
    private const int MaxClients = 256;
    private readonly ConcurrentDictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

    /// <summary>Calls the webhook and returns its <c>response</c>; failures are <see cref="WebhookCallException"/>.</summary>
    public async Task<JsonObject> CallAsync(Webhook w, JsonObject review, CancellationToken ct)
    {
        var target = w.Target;
        var sep = target.Contains('?') ? '&' : '?';
        var url = $"{target}{sep}timeout={w.TimeoutSeconds}s";
        IPEndPoint? dial = null;
        if (w.Url == null)
        {
            try
            {
                dial = await ResolveServiceAsync(w, ct).ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
            {
                throw new WebhookCallException(w.Name, $"failed to call webhook: Post \"{url}\": {e.Message}");
            }
        }
        var client = ClientFor(w, dial);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(w.TimeoutSeconds));
        string body;
        int status;
        try
        {
            using var content = new ByteArrayContent(KubeJson.ToBytes(review));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
            request.Headers.Accept.ParseAdd("application/json, */*");
            using var response = await client.SendAsync(request, timeout.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new WebhookCallException(w.Name, $"failed to call webhook: Post \"{url}\": context deadline exceeded");
        }
        catch (HttpRequestException e)
        {
            throw new WebhookCallException(w.Name, $"failed to call webhook: Post \"{url}\": {GoError(e, dial, url)}");
        }
        if (status is < 200 or > 299)
            throw new WebhookCallException(w.Name, $"failed to call webhook: an error on the server (\"{body.Trim()}\") has prevented the request from succeeding");
        JsonObject? parsed;
        try
        {
            parsed = JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new WebhookCallException(w.Name, $"failed to call webhook: {e.Message}");
        }
        if (parsed == null || Str(parsed["apiVersion"]) != "admission.k8s.io/v1" || Str(parsed["kind"]) != "AdmissionReview")
            throw new WebhookCallException(w.Name, $"expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got {Str(parsed?["apiVersion"])}, Kind={Str(parsed?["kind"])}");
        if (parsed["response"] is not JsonObject resp)
            throw new WebhookCallException(w.Name, "webhook response was absent");
        var uid = Str(review["request"]?["uid"]) ?? "";
        if (Str(resp["uid"]) != uid)
            throw new WebhookCallException(w.Name, $"expected response.uid=\"{uid}\", got \"{Str(resp["uid"])}\"");
        return resp;
    }

    /// <summary>A ready address of the service's Endpoints for the webhook's service port.</summary>
    private async Task<IPEndPoint> ResolveServiceAsync(Webhook w, CancellationToken ct)
    {
        var services = catalog().Find("", "v1", "services");
        var endpoints = catalog().Find("", "v1", "endpoints");
        if (services == null || endpoints == null) throw new InvalidOperationException("services are not served");
        var svc = await store().TryGetAsync(services, w.ServiceNamespace, w.ServiceName, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"service \"{w.ServiceName}\" not found");
        var port = (svc.Object["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(p => Int(p["port"]) == w.ServicePort)
            ?? throw new InvalidOperationException($"no service port {w.ServicePort} found for service \"{w.ServiceName}\"");
        var portName = Str(port["name"]) ?? "";
        var ep = await store().TryGetAsync(endpoints, w.ServiceNamespace, w.ServiceName, ct).ConfigureAwait(false);
        foreach (var subset in (ep?.Object["subsets"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var epPort = (subset["ports"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(p => (Str(p["name"]) ?? "") == portName);
            if (epPort == null || Int(epPort["port"]) is not { } number) continue;
            foreach (var address in (subset["addresses"] as JsonArray ?? []).OfType<JsonObject>())
                if (IPAddress.TryParse(Str(address["ip"]), out var ip)) return new IPEndPoint(ip, (int)number);
        }
        throw new InvalidOperationException($"no endpoints available for service \"{w.ServiceName}\"");
    }

    private HttpClient ClientFor(Webhook w, IPEndPoint? dial)
    {
        var key = $"{w.CaBundle}|{(w.Url == null ? w.Target : new Uri(w.Url).Authority)}|{dial}";
        if (_clients.TryGetValue(key, out var existing)) return existing;
        if (_clients.Count >= MaxClients)
        {
            foreach (var c in _clients.Values) c.Dispose();
            _clients.Clear();
        }
        var roots = TrustedRoots(w.CaBundle);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, cert, _, errors) => Verify(cert, errors, roots),
            },
        };
        if (dial != null)
        {
            handler.ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(dial.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(dial, token).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        return _clients.GetOrAdd(key, client) is var winner && ReferenceEquals(winner, client) ? client : Dispose(client, winner);

        static HttpClient Dispose(HttpClient loser, HttpClient winner)
        {
            loser.Dispose();
            return winner;
        }
    }

    private static X509Certificate2Collection? TrustedRoots(string caBundle)
    {
        if (caBundle.Length == 0) return null;
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(Encoding.UTF8.GetString(Convert.FromBase64String(caBundle)));
        }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
        {
        }
        return roots;
    }

    /// <summary>With a caBundle: the chain must end in one of its certificates and the name must match; else the system roots.</summary>
    private static bool Verify(X509Certificate? cert, SslPolicyErrors errors, X509Certificate2Collection? roots)
    {
        if (roots == null) return errors == SslPolicyErrors.None;
        if (cert == null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(cert);
        return chain.Build(leaf);
    }

    /// <summary>The Go net/http error text for the common failures, so messages read as kube-apiserver's.</summary>
    private static string GoError(HttpRequestException e, IPEndPoint? dial, string url)
    {
        var authority = dial?.ToString() ?? HostPort(url);
        for (Exception? inner = e; inner != null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return $"dial tcp {authority}: connect: connection refused";
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData }:
                    return $"dial tcp: lookup {new Uri(url).Host}: no such host";
                case AuthenticationException:
                    return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
            }
        }
        return e.Message;
    }

    private static string HostPort(string url)
    {
        var u = new Uri(url);
        return $"{u.Host}:{u.Port}";
    }

    public void Dispose()
    {
        foreach (var c in _clients.Values) c.Dispose();
        _clients.Clear();
    }
}
