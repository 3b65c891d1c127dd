using System.Net;
using System.Security.Cryptography.X509Certificates;
using Anvil.ApiServer.Certificates;
using Anvil.Client;
using Anvil.Machinery.Tls;
using Anvil.Node.Pods;
using Anvil.Node.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Node.Tests;

/// <summary>Who may use the kubelet API: TLS with a cluster-CA client certificate, then only the API server's identity.</summary>
public sealed class KubeletServerTests(RuntimeFixture f) : IClassFixture<RuntimeFixture>
{
    private static HttpClient Client(X509Certificate2 cert, X509Certificate2 ca) => new(new SocketsHttpHandler
    {
        SslOptions = new System.Net.Security.SslClientAuthenticationOptions
        {
            ClientCertificates = [cert],
            RemoteCertificateValidationCallback = (_, c, _, errors) => c is X509Certificate2 served && ClusterTrust.ChainsTo(served, ca)
                && (errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) == 0,
        },
    });

    private static X509Certificate2 ClientCert(ClusterPki pki, string user)
    {
        var (cert, key) = pki.IssueClientCertificate(user, [], TimeSpan.FromHours(1));
        return Anvil.Machinery.Tls.ClusterTrust.LoadCertificate(cert, key);
    }

    [Fact]
    public async Task OnlyTheApiServersClientCertificateIsServed()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var pki = ClusterPki.LoadOrCreate(Path.Combine(f.Dir, "cluster"), []);
        var other = ClusterPki.LoadOrCreate(Path.Combine(f.Dir, "other"), []);
        var (kc, kk) = pki.IssueClientCertificate("system:node:n", ["system:nodes"], TimeSpan.FromHours(1));
        using var kube = KubeClient.FromPem(new Uri("https://127.0.0.1:1"), pki.CaPem, kc, kk); // never used: the agent does not run
        var agent = new NodeAgent(kube, new NodeAgentOptions { DataDir = f.Dir, NodeName = "n", Runtime = f.Runtime, Images = f.Images }, NullLogger.Instance);
        await using var server = new KubeletServer(agent, new KubeletServerOptions
        {
            Port = 0,
            ServingCertificate = pki.IssueServingCertificate("system:node:n", ["127.0.0.1", "n"], TimeSpan.FromHours(1)),
            ClientCa = pki.Ca,
        }, NullLogger.Instance);
        await server.StartAsync(CancellationToken.None);
        var url = $"https://127.0.0.1:{server.Port}";

        using var apiserver = Client(ClientCert(pki, KubeletServer.ApiServerClientName), pki.Ca);
        using var someone = Client(ClientCert(pki, "someone"), pki.Ca);
        using var stranger = Client(ClientCert(other, KubeletServer.ApiServerClientName), pki.Ca);

        var healthz = await apiserver.GetAsync(url + "/healthz");
        var noPod = await apiserver.GetAsync(url + "/exec/ns/nopod/c?command=true&output=1");
        var noStreams = await apiserver.GetAsync(url + "/exec/ns/nopod/c?command=true");
        var forbidden = await someone.GetAsync(url + "/exec/ns/p/c?command=true&output=1");
        var logsForbidden = await someone.GetAsync(url + "/containerLogs/ns/p/c");
        var statsForbidden = await someone.GetAsync(url + "/stats/summary");
        var forwardForbidden = await someone.PostAsync(url + "/portForward/ns/p", null);
        var noForwardPod = await apiserver.PostAsync(url + "/portForward/ns/nopod", null);
        var noStats = await apiserver.GetAsync(url + "/stats/summary");

        Assert.Equal((HttpStatusCode.OK, "ok"), (healthz.StatusCode, await healthz.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.NotFound, "pod does not exist"), (noPod.StatusCode, await noPod.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.BadRequest, "you must specify at least 1 of stdin, stdout, stderr"), (noStreams.StatusCode, await noStreams.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.Forbidden, "Forbidden (user=someone, verb=get, resource=nodes, subresource(s)=[proxy])\n"),
            (forbidden.StatusCode, await forbidden.Content.ReadAsStringAsync()));
        foreach (var (r, verb) in new[] { (logsForbidden, "get"), (statsForbidden, "get"), (forwardForbidden, "create") })
            Assert.Equal((HttpStatusCode.Forbidden, $"Forbidden (user=someone, verb={verb}, resource=nodes, subresource(s)=[proxy])\n"), (r.StatusCode, await r.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.NotFound, "pod does not exist"), (noForwardPod.StatusCode, await noForwardPod.Content.ReadAsStringAsync()));
        // Without a stats collector there is no /stats/summary.
        Assert.Equal(HttpStatusCode.NotFound, noStats.StatusCode);
        // A certificate from another CA does not get past TLS.
        await Assert.ThrowsAsync<HttpRequestException>(() => stranger.GetAsync(url + "/healthz"));
    }
}
