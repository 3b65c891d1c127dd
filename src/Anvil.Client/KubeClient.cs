using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Serialization;
using Anvil.Machinery.Tls;

namespace Anvil.Client;

/// <summary>
/// A dynamic client for any Kubernetes API server over HTTPS with a client certificate. Objects are JSON;
/// failures are <see cref="ApiException"/>s built from the server's Status. Thread-safe.
/// </summary>
public sealed class KubeClient : IDisposable
{
    private readonly HttpClient _http;

    public Uri Server { get; }

    public KubeClient(Uri server, X509Certificate2 caCertificate, X509Certificate2 clientCertificate, string userAgent = "anvil")
    {
        Server = server;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = 64,
            SslOptions =
            {
                ClientCertificates = new X509CertificateCollection { clientCertificate },
                RemoteCertificateValidationCallback = (_, cert, _, _) => cert != null && ClusterTrust.ChainsTo(cert, caCertificate),
            },
        };
        _http = new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
    }

    /// <summary>Builds a client from PEM texts (CA, client certificate and key).</summary>
    public static KubeClient FromPem(Uri server, string caPem, string certPem, string keyPem, string userAgent = "anvil")
    {
        return new KubeClient(server, X509Certificate2.CreateFromPem(caPem), ClusterTrust.LoadCertificate(certPem, keyPem), userAgent);
    }

    public Task<JsonObject> GetAsync(ResourceRef r, string ns, string name, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, r.Path(ns, name), null, null, ct);

    /// <summary>Lists a collection; <paramref name="query"/> is appended as is (e.g. "labelSelector=a%3Db").</summary>
    public Task<JsonObject> ListAsync(ResourceRef r, string ns = "", string query = "", CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, r.Path(ns) + (query.Length > 0 ? "?" + query : ""), null, null, ct);

    /// <summary>
    /// What a metadata-only client asks for (client-go's metadata client): the objects' metadata alone, as
    /// PartialObjectMetadata(List), for controllers that only need names, uids, owners and finalizers.
    /// </summary>
    public const string PartialObjectMetadataAccept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

    /// <summary>Lists a collection as <paramref name="accept"/> asks (e.g. <see cref="PartialObjectMetadataAccept"/>).</summary>
    public Task<JsonObject> ListAsync(ResourceRef r, string ns, string query, string accept, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, r.Path(ns) + (query.Length > 0 ? "?" + query : ""), null, null, ct, accept);

    public Task<JsonObject> CreateAsync(ResourceRef r, string ns, JsonObject obj, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, r.Path(ns), obj, "application/json", ct);

    public Task<JsonObject> UpdateAsync(ResourceRef r, string ns, string name, JsonObject obj, string subresource = "", CancellationToken ct = default) =>
        SendAsync(HttpMethod.Put, r.Path(ns, name, subresource), obj, "application/json", ct);

    public Task<JsonObject> PatchAsync(ResourceRef r, string ns, string name, JsonNode patch, string contentType = "application/merge-patch+json", string subresource = "", CancellationToken ct = default) =>
        SendAsync(HttpMethod.Patch, r.Path(ns, name, subresource), patch, contentType, ct);

    public Task<JsonObject> DeleteAsync(ResourceRef r, string ns, string name, string propagationPolicy = "Background", string? preconditionUid = null, CancellationToken ct = default)
    {
        var options = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["propagationPolicy"] = propagationPolicy };
        if (preconditionUid != null) options["preconditions"] = new JsonObject { ["uid"] = preconditionUid };
        return SendAsync(HttpMethod.Delete, r.Path(ns, name), options, "application/json", ct);
    }

    /// <summary>Deletes every object of a collection in a namespace (deletecollection).</summary>
    public Task<JsonObject> DeleteCollectionAsync(ResourceRef r, string ns, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, r.Path(ns), new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["propagationPolicy"] = "Background" }, "application/json", ct);

    /// <summary>Any request; returns the response object (or an empty object for empty bodies).</summary>
    public Task<JsonObject> SendAsync(HttpMethod method, string pathAndQuery, JsonNode? body, string? contentType, CancellationToken ct) =>
        SendAsync(method, pathAndQuery, body, contentType, ct, "application/json");

    private async Task<JsonObject> SendAsync(HttpMethod method, string pathAndQuery, JsonNode? body, string? contentType, CancellationToken ct, string accept)
    {
        var bytes = await SendForBytesAsync(method, pathAndQuery, body, contentType, accept, ct).ConfigureAwait(false);
        return bytes.Length == 0 ? new JsonObject() : KubeJson.ParseObject(bytes);
    }

    /// <summary>A GET of a path that answers text (e.g. <c>/metrics</c>); an error status is thrown as <see cref="ApiException"/>.</summary>
    public async Task<string> GetTextAsync(string pathAndQuery, CancellationToken ct) =>
        System.Text.Encoding.UTF8.GetString(await SendForBytesAsync(HttpMethod.Get, pathAndQuery, null, null, null, ct).ConfigureAwait(false));

    /// <summary>The response body of a request (no Accept header when <paramref name="accept"/> is null); an error status is thrown.</summary>
    private async Task<byte[]> SendForBytesAsync(HttpMethod method, string pathAndQuery, JsonNode? body, string? contentType, string? accept, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        if (body != null)
        {
            request.Content = new ByteArrayContent(KubeJson.ToBytes(body));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "application/json");
        }
        if (accept != null) request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw ToException(response.StatusCode, bytes);
        return bytes;
    }

    /// <summary>
    /// Watches a collection from <paramref name="resourceVersion"/>, yielding (type, object) until the server
    /// ends the stream or <paramref name="ct"/> is cancelled. An ERROR event is thrown as <see cref="ApiException"/>.
    /// </summary>
    public async IAsyncEnumerable<(string Type, JsonObject Object)> WatchAsync(ResourceRef r, string ns, string resourceVersion,
        int timeoutSeconds = 300, [EnumeratorCancellation] CancellationToken ct = default, string query = "", string accept = "application/json")
    {
        var path = $"{r.Path(ns)}?watch=true&allowWatchBookmarks=true&timeoutSeconds={timeoutSeconds}&resourceVersion={Uri.EscapeDataString(resourceVersion)}";
        if (query.Length > 0) path += "&" + query;
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw ToException(response.StatusCode, await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false));
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (true)
        {
            var line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
            if (line == null) yield break;
            if (line.Length == 0) continue;
            var ev = JsonNode.Parse(line) as JsonObject;
            var type = (string?)ev?["type"] ?? "";
            var obj = ev?["object"] as JsonObject ?? new JsonObject();
            if (type == "ERROR")
                throw new ApiException((int?)obj["code"] ?? 500, (string?)obj["reason"] ?? "", (string?)obj["message"] ?? "watch error", obj);
            yield return (type, obj);
        }
    }

    private static ApiException ToException(HttpStatusCode code, byte[] body)
    {
        try
        {
            var status = KubeJson.ParseObject(body);
            return new ApiException((int)code, (string?)status["reason"] ?? "", (string?)status["message"] ?? code.ToString(), status);
        }
        catch (JsonException)
        {
            return new ApiException((int)code, "", Encoding.UTF8.GetString(body), null);
        }
    }

    public void Dispose() => _http.Dispose();
}
