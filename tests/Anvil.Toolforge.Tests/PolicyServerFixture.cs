using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Anvil.ApiServer;
using Anvil.Client;
using Anvil.Toolforge.Accounts;
using Anvil.Toolforge.Policy;

namespace Anvil.Toolforge.Tests;

/// <summary>
/// The real API server in this process with the tool policies plugged in through
/// <c>ApiServerOptions.PlatformAdmission</c>, the Tool CRD, the Tool <c>alpha</c> (uid 52001, gid 52002) and the
/// namespaces <c>tool-alpha</c> and <c>tool-ghost</c> (labelled <c>tenancy=tool</c>, the latter without a Tool)
/// and <c>tool-plain</c> (not labelled).
/// </summary>
public sealed class PolicyServerFixture : IAsyncLifetime
{
    public static readonly ResourceRef Pods = new("", "v1", "pods", true);
    public static readonly ResourceRef Deployments = new("apps", "v1", "deployments", true);
    public static readonly ResourceRef Ingresses = new("networking.k8s.io", "v1", "ingresses", true);
    public static readonly ResourceRef Tools = new(ToolforgeCrds.Group, ToolforgeCrds.Version, "tools", false);

    private readonly string _dataDir = Directory.CreateTempSubdirectory("anvil-toolforge-policy-").FullName;
    private ApiServerHost? _host;

    public KubeClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var options = new ToolforgeOptions { Homes = "/srv/homes", Domain = "localhost" };
        for (var attempt = 1; ; attempt++)
        {
            var host = new ApiServerHost(new ApiServerOptions
            {
                DataDir = _dataDir,
                Port = FreePort(),
                Bind = "127.0.0.1",
                PlatformAdmission = h => ToolforgePolicy.Plugins(h, options),
                // No serviceaccount controller runs here to make the "default" account pods need.
                DisabledAdmissionPlugins = new HashSet<string> { "ServiceAccount" },
            });
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
        var (cert, key) = _host.Pki.IssueClientCertificate("admin", ["system:masters"], TimeSpan.FromHours(1));
        Client = KubeClient.FromPem(new Uri(_host.ServerUrl), _host.Pki.CaPem, cert, key, "toolforge-policy-tests");

        await Client.CreateAsync(ResourceRef.CustomResourceDefinitions, "", ToolforgeCrds.Tool());
        var tool = new JsonObject
        {
            ["apiVersion"] = "toolforge.org/v1",
            ["kind"] = "Tool",
            ["metadata"] = new JsonObject { ["name"] = "alpha" },
            ["spec"] = new JsonObject { ["uid"] = 52001, ["gid"] = 52002, ["maintainers"] = new JsonArray("alice") },
        };
        // The CRD's resource is served once the server has picked it up: bounded retries, no fixed sleep.
        for (var i = 0; ; i++)
        {
            try
            {
                await Client.CreateAsync(Tools, "", tool);
                break;
            }
            catch (ApiException e) when (e.IsNotFound && i < 100)
            {
                await Task.Delay(200);
            }
        }
        foreach (var (name, labelled) in new[] { ("tool-alpha", true), ("tool-ghost", true), ("tool-plain", false) })
        {
            var meta = new JsonObject { ["name"] = name };
            if (labelled) meta["labels"] = new JsonObject { ["tenancy"] = "tool" };
            await Client.CreateAsync(ResourceRef.Namespaces, "", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = meta });
        }
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_host != null) await _host.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
