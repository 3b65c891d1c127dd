using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Machinery.Serialization;

namespace Anvil.ApiServer.Tests.Endpoints;

/// <summary>
/// JSON answers written from the stored bytes (a create's, a get's, an unfiltered list's) must be the bytes the parse
/// and serialize path gives (a list with a label selector takes that path), over HTTPS on a real API server.
/// </summary>
public sealed class StoredAnswersTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("anvil-stored-").FullName;
    private ApiServerHost _host = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _host = new ApiServerHost(new ApiServerOptions
        {
            DataDir = _dir, Port = TestPorts.FreePort(), DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" },
        });
        await _host.StartAsync(default);
        var (cert, key) = _host.Pki.IssueClientCertificate("admin", ["system:masters"], TimeSpan.FromHours(1));
        var ssl = new System.Net.Security.SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            ClientCertificates = [Anvil.Machinery.Tls.ClusterTrust.LoadCertificate(cert, key)],
        };
        _admin = new HttpClient(new SocketsHttpHandler { SslOptions = ssl }) { BaseAddress = new Uri(_host.ServerUrl) };
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    [Theory]
    [InlineData("configmaps", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1","labels":{"pick":"me"}},"data":{"text":"é \"quoted\" <b>&amp;</b>\n","empty":""}}""")]
    [InlineData("pods", """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1","labels":{"pick":"me"},"annotations":{"a":"{\"resourceVersion\":1}"}},"spec":{"containers":[{"name":"c","image":"busybox","resources":{"requests":{"cpu":"100m"}}}]}}""")]
    public async Task StoredAnswers_AreTheParsedAndSerializedBytes(string resource, string body)
    {
        var collection = $"/api/v1/namespaces/default/{resource}";
        var name = (string)JsonNode.Parse(body)!["metadata"]!["name"]!;
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var created = await Send(HttpMethod.Post, collection, content);
        var got = await Send(HttpMethod.Get, $"{collection}/{name}");
        var filtered = JsonNode.Parse(await Send(HttpMethod.Get, $"{collection}?labelSelector=pick%3Dme"))!["items"]!.AsArray();

        Assert.Single(filtered);
        Assert.Equal(Encoding.UTF8.GetString(KubeJson.ToBytes(filtered[0]!)), got);
        Assert.Equal(got, created);
        if (resource == "pods") Assert.Equal(got, await Send(HttpMethod.Get, $"{collection}/{name}/status"));
    }

    [Fact]
    public async Task Get_OfAMissingObject_IsNotFound()
    {
        using var response = await _admin.GetAsync("/api/v1/namespaces/default/configmaps/absent");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("configmaps \\\"absent\\\" not found", await response.Content.ReadAsStringAsync());
    }

    private async Task<string> Send(HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text;
    }
}
