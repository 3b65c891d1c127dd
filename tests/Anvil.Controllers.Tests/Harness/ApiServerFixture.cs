using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Anvil.ApiServer;
using Anvil.Client;

namespace Anvil.Controllers.Tests.Harness;

/// <summary>
/// The real API server in this process (temp data dir, free loopback port) and a client with the
/// controller manager's identity. One per test class; each test works in its own namespace.
/// </summary>
public sealed class ApiServerFixture : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("anvil-controllers-").FullName;
    private ApiServerHost? _host;
    private int _namespaces;

    public KubeClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var host = new ApiServerHost(new ApiServerOptions { DataDir = _dataDir, Port = FreePort(), Bind = "127.0.0.1", DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" } });
            try
            {
                await host.StartAsync(CancellationToken.None);
                _host = host;
                break;
            }
            catch (IOException) when (attempt < 3)
            {
                await host.DisposeAsync();
            }
        }
        // Tests drive setup and the controllers through one client; the controllers' own RBAC rights are covered end to end.
        var (cert, key) = _host.Pki.IssueClientCertificate("admin", ["system:masters"], TimeSpan.FromHours(1));
        Client = KubeClient.FromPem(new Uri(_host.ServerUrl), _host.Pki.CaPem, cert, key, "kube-controller-manager");
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_host != null) await _host.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    /// <summary>A fresh namespace for one test.</summary>
    public async Task<string> NamespaceAsync(string prefix)
    {
        var name = $"{prefix}-{Interlocked.Increment(ref _namespaces)}";
        await Client.CreateAsync(ResourceRef.Namespaces, "", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = name } });
        return name;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
