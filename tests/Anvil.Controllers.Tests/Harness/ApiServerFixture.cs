using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Anvil.ApiServer;
using Anvil.ApiServer.Authorization;
using Anvil.Client;

namespace Anvil.Controllers.Tests.Harness;

/// <summary>
/// The real API server in this process (temp data dir, free loopback port) and a client as
/// <c>system:kube-controller-manager</c> (in system:masters: the controllers' own RBAC rights are covered end to
/// end). One per test class; each test works in its own namespace. There is no kubelet: <see cref="SimulatedKubelet"/>
/// writes pod status as one would.
/// </summary>
public sealed class ApiServerFixture : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("anvil-controllers-").FullName;
    private ApiServerHost? _host;
    private int _namespaces;

    public KubeClient Client { get; private set; } = null!;

    /// <summary>The server's data directory (its audit log is <c>audit.log</c> there).</summary>
    public string DataDir => _dataDir;

    /// <summary>Requests this predicate matches are forbidden (to make writes fail as quota would); the rest go to the server's authorizer.</summary>
    public Func<AuthorizationAttributes, bool> Deny { get; set; } = _ => false;

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
        _host.Authorizer = new DenyingAuthorizer(this, _host.Authorizer);
        Client = NewClient("kube-controller-manager");
    }

    /// <summary>Another client as <see cref="Client"/>'s user, told apart in the audit log by its user agent; the caller disposes it.</summary>
    public KubeClient NewClient(string userAgent)
    {
        var (cert, key) = _host!.Pki.IssueClientCertificate("system:kube-controller-manager", ["system:masters"], TimeSpan.FromHours(1));
        return KubeClient.FromPem(new Uri(_host.ServerUrl), _host.Pki.CaPem, cert, key, userAgent);
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

    private sealed class DenyingAuthorizer(ApiServerFixture fixture, IAuthorizer inner) : IAuthorizer
    {
        public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes a, CancellationToken ct) =>
            fixture.Deny(a) ? ValueTask.FromResult(new AuthorizationDecision(Decision.Deny, "denied by test")) : inner.AuthorizeAsync(a, ct);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
