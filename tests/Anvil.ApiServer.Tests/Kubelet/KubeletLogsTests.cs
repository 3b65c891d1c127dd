using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Tests.Kubelet;

/// <summary>
/// pods/log through the kubelet API: the API server passes PodLogOptions to a (test) kubelet's /containerLogs
/// of the pod's node and relays its body, or its refusal as a Status with the kubelet's text; metrics.k8s.io reads the
/// kubelet's /stats/summary.
/// </summary>
public sealed class KubeletLogsTests(KubeletLogsTests.Cluster c) : IClassFixture<KubeletLogsTests.Cluster>
{
    /// <summary>An API server, a node n1 whose kubelet is the test's, and pod default/p on it.</summary>
    public sealed class Cluster : IAsyncLifetime
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("anvil-kubelet-logs-").FullName;
        private ApiServerHost _host = null!;
        private WebApplication _kubelet = null!;
        public HttpClient Admin { get; private set; } = null!;
        public string? SeenUser { get; private set; }
        public string? SeenPathAndQuery { get; private set; }

        public async Task InitializeAsync()
        {
            _host = new ApiServerHost(new ApiServerOptions { DataDir = _dir, Port = TestPorts.FreePort(), DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" } });
            await _host.StartAsync(default);
            var kubeletPort = TestPorts.FreePort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, kubeletPort, l => l.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = _host.Pki.IssueServingCertificate("system:node:n1", ["127.0.0.1"], TimeSpan.FromHours(1)),
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (_, _, _) => true,
            })));
            _kubelet = builder.Build();
            _kubelet.Run(async ctx =>
            {
                SeenUser = ctx.Connection.ClientCertificate?.GetNameInfo(X509NameType.SimpleName, false);
                SeenPathAndQuery = ctx.Request.Path + ctx.Request.QueryString;
                if (ctx.Request.Path == "/stats/summary")
                {
                    ctx.Response.ContentType = "application/json";
                    await ctx.Response.WriteAsync("""
                        {"node":{"nodeName":"n1","cpu":{"time":"2026-03-01T12:00:05Z","usageNanoCores":250000000},"memory":{"time":"2026-03-01T12:00:05Z","workingSetBytes":2097152}},"pods":[]}
                        """);
                    return;
                }
                ctx.Response.ContentType = "text/plain";
                if (ctx.Request.Path.Value!.EndsWith("/waiting", StringComparison.Ordinal))
                {
                    ctx.Response.StatusCode = 400;
                    await ctx.Response.WriteAsync("container \"waiting\" in pod \"p\" is waiting to start: ContainerCreating");
                    return;
                }
                await ctx.Response.WriteAsync("one\n");
                await ctx.Response.Body.FlushAsync();
                await ctx.Response.WriteAsync("two\n");
            });
            await _kubelet.StartAsync();

            var admin = new WriteOptions { User = new UserInfo("admin", ["system:masters"]) };
            ResourceDefinition Def(string r) => _host.Catalog.Find("", "v1", r)!;
            await _host.Resources.CreateAsync(Def("nodes"), "", (JsonObject)JsonNode.Parse("""{"metadata":{"name":"n1"}}""")!, admin, default);
            var node = await _host.Resources.GetAsync(Def("nodes"), "", "n1", default);
            node["status"] = JsonNode.Parse("""{"addresses":[{"type":"InternalIP","address":"127.0.0.1"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":""" + kubeletPort + "}}}");
            await _host.Resources.UpdateAsync(Def("nodes"), "", "n1", node, new WriteOptions { User = admin.User, Subresource = "status" }, default);
            await _host.Resources.CreateAsync(Def("pods"), "default", (JsonObject)JsonNode.Parse("""
                {"metadata":{"name":"p"},"spec":{"nodeName":"n1","containers":[{"name":"app","image":"busybox"},{"name":"waiting","image":"busybox"}]}}
                """)!, admin, default);

            var (cert, key) = _host.Pki.IssueClientCertificate("admin", ["system:masters"], TimeSpan.FromHours(1));
            Admin = new HttpClient(new SocketsHttpHandler
            {
                SslOptions = new System.Net.Security.SslClientAuthenticationOptions
                {
                    ClientCertificates = [Anvil.Machinery.Tls.ClusterTrust.LoadCertificate(cert, key)],
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                },
            }) { BaseAddress = new Uri(_host.ServerUrl) };
        }

        public async Task DisposeAsync()
        {
            Admin.Dispose();
            await _kubelet.DisposeAsync();
            await _host.DisposeAsync();
            Directory.Delete(_dir, true);
        }
    }

    [Theory]
    [InlineData("", "/containerLogs/default/p/app")]
    [InlineData("&follow=true&tailLines=2&timestamps=true", "/containerLogs/default/p/app?follow=true&timestamps=true&tailLines=2")]
    [InlineData("&previous=true&limitBytes=10&sinceSeconds=5", "/containerLogs/default/p/app?previous=true&sinceSeconds=5&limitBytes=10")]
    [InlineData("&sinceTime=2026-03-01T12:00:00Z", "/containerLogs/default/p/app?sinceTime=2026-03-01T12%3A00%3A00Z")]
    public async Task OptionsReachTheKubeletAndItsBodyTheClient(string options, string kubeletRequest)
    {
        var r = await c.Admin.GetAsync("/api/v1/namespaces/default/pods/p/log?container=app" + options);

        Assert.Equal((HttpStatusCode.OK, "one\ntwo\n"), (r.StatusCode, await r.Content.ReadAsStringAsync()));
        Assert.Equal(kubeletRequest, c.SeenPathAndQuery);
        Assert.Equal(Anvil.ApiServer.Kubelet.KubeletClient.ClientName, c.SeenUser);
    }

    [Theory]
    [InlineData("container=waiting", 400, "container \"waiting\" in pod \"p\" is waiting to start: ContainerCreating")]
    [InlineData("container=nope", 400, "container nope is not valid for pod p")]
    [InlineData("", 400, "a container name must be specified for pod p, choose one of: [app waiting]")]
    [InlineData("container=app&tailLines=-1", 400, "tailLines: Invalid value: \"-1\": must be a non-negative integer")]
    [InlineData("container=app&sinceSeconds=5&sinceTime=2026-03-01T12:00:00Z", 400, "at most one of `sinceTime` or `sinceSeconds` may be specified")]
    public async Task RefusalsAreStatuses(string query, int code, string message)
    {
        var r = await c.Admin.GetAsync("/api/v1/namespaces/default/pods/p/log?" + query);
        var status = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;

        Assert.Equal((code, "Status", message), ((int)r.StatusCode, (string?)status["kind"], (string?)status["message"]));
    }

    [Fact]
    public async Task NodeMetricsComeFromTheKubeletsSummary()
    {
        var r = await c.Admin.GetAsync("/apis/metrics.k8s.io/v1beta1/nodes/n1");
        var metrics = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;

        Assert.Equal("/stats/summary", c.SeenPathAndQuery);
        Assert.Equal("""{"cpu":"250m","memory":"2Mi"}""", metrics["usage"]!.ToJsonString());
        Assert.Equal(("2026-03-01T12:00:05Z", "15s"), ((string?)metrics["timestamp"], (string?)metrics["window"]));
    }
}
