using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Anvil.Machinery.Tls;

namespace Anvil.E2E.Harness;

/// <summary>
/// Plain HTTPS to the server with the admin client certificate from the kubeconfig (or none), for
/// requests kubectl cannot make: malformed bodies, oversized bodies, no credentials.
/// </summary>
public sealed partial class RawApi : IDisposable
{
    private readonly HttpClient _http;
    private readonly X509Certificate2? _clientCert;
    private readonly X509Certificate2 _ca;

    private RawApi(HttpClient http, X509Certificate2 ca, X509Certificate2? clientCert)
    {
        _http = http;
        _ca = ca;
        _clientCert = clientCert;
    }

    /// <param name="withClientCertificate">false sends no credentials at all.</param>
    public static RawApi For(AnvilServer server, bool withClientCertificate = true)
    {
        var kubeconfig = File.ReadAllText(server.KubeconfigPath);
        var ca = X509Certificate2.CreateFromPem(Pem(kubeconfig, "certificate-authority-data"));
        X509Certificate2? client = null;
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
        if (withClientCertificate)
        {
            client = ClusterTrust.LoadCertificate(Pem(kubeconfig, "client-certificate-data"), Pem(kubeconfig, "client-key-data"));
            handler.SslOptions.ClientCertificates = [client];
        }
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) => cert != null && ClusterTrust.ChainsTo(cert, ca);
        var http = new HttpClient(handler) { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromSeconds(60) };
        return new RawApi(http, ca, client);
    }

    public Task<RawResponse> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null, null);

    public Task<RawResponse> PostAsync(string path, string body, string contentType = "application/json") =>
        SendAsync(HttpMethod.Post, path, Encoding.UTF8.GetBytes(body), contentType);

    public Task<RawResponse> PostAsync(string path, byte[] body, string contentType = "application/json") =>
        SendAsync(HttpMethod.Post, path, body, contentType);

    public Task<RawResponse> PutAsync(string path, string body, string contentType = "application/json") =>
        SendAsync(HttpMethod.Put, path, Encoding.UTF8.GetBytes(body), contentType);

    public async Task<RawResponse> SendAsync(HttpMethod method, string path, byte[]? body, string? contentType)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "application/json");
        }
        using var response = await _http.SendAsync(request).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return new RawResponse($"{method} {path}", response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
    }

    /// <summary>A GET with a given Accept header; the response's ContentType keeps its parameters.</summary>
    public async Task<RawResponse> SendWithAcceptAsync(string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await _http.SendAsync(request).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return new RawResponse($"GET {path}", response.StatusCode, response.Content.Headers.TryGetValues("Content-Type", out var v) ? string.Join(",", v) : null, text);
    }

    /// <summary>Creates a namespace (test setup that must not depend on the kubectl features under test).</summary>
    public async Task CreateNamespaceAsync(string name)
    {
        var r = await PostAsync("/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":""" + "\"" + name + "\"}}").ConfigureAwait(false);
        if (r.Status != HttpStatusCode.Created) throw new Xunit.Sdk.XunitException($"cannot create namespace {name}\n{r}");
    }

    public void Dispose()
    {
        _http.Dispose();
        _clientCert?.Dispose();
        _ca.Dispose();
    }

    private static string Pem(string kubeconfig, string key)
    {
        var m = Regex.Match(kubeconfig, "^\\s*" + Regex.Escape(key) + ":\\s*(\\S+)\\s*$", RegexOptions.Multiline);
        if (!m.Success) throw new InvalidOperationException($"kubeconfig has no {key}");
        return Encoding.ASCII.GetString(Convert.FromBase64String(m.Groups[1].Value));
    }
}

public sealed record RawResponse(string Request, HttpStatusCode Status, string? ContentType, string Body)
{
    /// <summary>The body as JSON; a test failure when it is not a JSON object.</summary>
    public JsonObject Json
    {
        get
        {
            try
            {
                return JsonNode.Parse(Body) as JsonObject ?? throw new Xunit.Sdk.XunitException($"body is not a JSON object\n{this}");
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new Xunit.Sdk.XunitException($"body is not JSON ({e.Message})\n{this}");
            }
        }
    }

    public override string ToString() => $"{Request} -> {(int)Status} {Status} ({ContentType})\n{(Body.Length > 2000 ? Body[..2000] + "…" : Body)}";
}
