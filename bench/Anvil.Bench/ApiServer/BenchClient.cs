using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Anvil.Machinery.Tls;

namespace Anvil.Bench.ApiServer;

/// <summary>
/// One simulated kubectl-like client: its own HTTPS connection with a client certificate, HTTP/2 (what
/// client-go negotiates over TLS) unless HTTP/1.1 is asked for. Bodies are returned as bytes, unparsed,
/// so that the figures are mostly the server's.
/// </summary>
internal sealed class BenchClient : IDisposable
{
    /// <summary>The Accept header kubectl get sends (Table v1, then v1beta1, then JSON).</summary>
    public const string KubectlTableAccept =
        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    private static readonly MediaTypeHeaderValue JsonType = new("application/json");
    private readonly HttpClient _http;

    public BenchClient(Uri server, X509Certificate2 ca, X509Certificate2 clientCertificate, bool http1)
    {
        var handler = new SocketsHttpHandler
        {
            // One connection per simulated client, as each kubectl process has.
            MaxConnectionsPerServer = 1,
            EnableMultipleHttp2Connections = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(30),
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = new X509CertificateCollection { clientCertificate },
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert != null && ClusterTrust.ChainsTo(cert, ca),
            },
        };
        _http = new HttpClient(handler)
        {
            BaseAddress = server,
            Timeout = TimeSpan.FromSeconds(60),
            DefaultRequestVersion = http1 ? HttpVersion.Version11 : HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("anvil-bench/1.0");
    }

    /// <summary>The HTTP version of the last response (to report what was negotiated).</summary>
    public Version? LastVersion { get; private set; }

    public HttpClient Http => _http;

    public async Task<byte[]> SendAsync(HttpMethod method, string path, byte[]? body, string accept, CancellationToken ct)
    {
        using var request = NewRequest(method, path);
        if (body != null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = JsonType;
        }
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        LastVersion = response.Version;
        if (!response.IsSuccessStatusCode)
        {
            var text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 400));
            throw new HttpRequestException($"{method} {path}: HTTP {(int)response.StatusCode}: {text}", null, response.StatusCode);
        }
        return bytes;
    }

    /// <summary>A request with this client's HTTP version (a plain HttpRequestMessage would be HTTP/1.1).</summary>
    public HttpRequestMessage NewRequest(HttpMethod method, string path) => new(method, path)
    {
        Version = _http.DefaultRequestVersion,
        VersionPolicy = _http.DefaultVersionPolicy,
    };

    public Task<byte[]> GetAsync(string path, CancellationToken ct, string accept = "application/json") =>
        SendAsync(HttpMethod.Get, path, null, accept, ct);

    public void Dispose() => _http.Dispose();
}
