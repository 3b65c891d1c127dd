using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Anvil.ApiServer;
using Anvil.ApiServer.Certificates;
using Anvil.ApiServer.Encryption;
using Anvil.Client;
using Anvil.Controllers;
using Anvil.Node.Network;
using Anvil.Node.Pods;
using Anvil.Node.Proxy;
using Anvil.Node.Runtime;
using Anvil.Node.Server;
using Microsoft.Extensions.Logging;

namespace Anvil.Cli;

/// <summary><c>anvil up</c>: runs every component in this process until SIGTERM or SIGINT.</summary>
internal static class UpCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dataDir = DataDirs.Default();
        var port = 6443;
        var bind = "127.0.0.1";
        string? auditLogPath = null, auditPolicyFile = null, encryptionConfig = null;
        int auditMaxSize = 100, auditMaxBackup = 10, auditMaxAge = 30;
        var runNode = true;
        var toolforge = new Anvil.Toolforge.ToolforgeOptions();
        var kubeletPort = 10250;
        var podCidr = PodNetworkOptions.DefaultPodCidr;
        var networkPrefix = "anvil";
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--no-node")
            {
                runNode = false;
                continue;
            }
            var (flag, value) = SplitFlag(args, ref i);
            switch (flag)
            {
                case "--data-dir":
                    dataDir = Path.GetFullPath(value ?? "");
                    break;
                case "--port":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                        return Program.Fail($"invalid --port \"{value}\": must be 1-65535");
                    break;
                case "--kubelet-port":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out kubeletPort) || kubeletPort is < 0 or > 65535)
                        return Program.Fail($"invalid --kubelet-port \"{value}\": must be 0-65535");
                    break;
                case "--bind":
                    if (!IPAddress.TryParse(value, out _)) return Program.Fail($"invalid --bind \"{value}\": must be an IP address");
                    bind = value!;
                    break;
                case "--audit-log-path":
                    if (string.IsNullOrEmpty(value)) return Program.Fail("--audit-log-path needs a value");
                    auditLogPath = value == "-" ? "-" : Path.GetFullPath(value);
                    break;
                case "--audit-policy-file":
                    if (string.IsNullOrEmpty(value)) return Program.Fail("--audit-policy-file needs a value");
                    auditPolicyFile = Path.GetFullPath(value);
                    break;
                case "--audit-log-maxsize":
                    if (!TryCount(value, out auditMaxSize)) return Program.Fail($"invalid --audit-log-maxsize \"{value}\": must be a number of megabytes (0: no rotation)");
                    break;
                case "--audit-log-maxbackup":
                    if (!TryCount(value, out auditMaxBackup)) return Program.Fail($"invalid --audit-log-maxbackup \"{value}\": must be a number of files (0: keep all)");
                    break;
                case "--audit-log-maxage":
                    if (!TryCount(value, out auditMaxAge)) return Program.Fail($"invalid --audit-log-maxage \"{value}\": must be a number of days (0: keep forever)");
                    break;
                case "--homes":
                    if (string.IsNullOrEmpty(value)) return Program.Fail("--homes needs a value");
                    toolforge = toolforge with { Homes = Path.GetFullPath(value) };
                    break;
                case "--users-home":
                    if (string.IsNullOrEmpty(value)) return Program.Fail("--users-home needs a value");
                    toolforge = toolforge with { UsersHome = Path.GetFullPath(value) };
                    break;
                case "--domain":
                    if (string.IsNullOrEmpty(value)) return Program.Fail("--domain needs a value");
                    toolforge = toolforge with { Domain = value };
                    break;
                case "--pod-cidr":
                    try { podCidr = CniConfig.NormalizeCidr(value ?? ""); }
                    catch (FormatException e) { return Program.Fail(e.Message); }
                    break;
                case "--network-prefix":
                    // Names this node's netns, bridge and iptables chains (tests run several nodes on one host).
                    if (string.IsNullOrEmpty(value) || value.Length > 12 || !value.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9'))
                        return Program.Fail($"invalid --network-prefix \"{value}\": must be 1-12 lower-case letters and digits");
                    networkPrefix = value;
                    break;
                case "--encryption-provider-config":
                    if (string.IsNullOrEmpty(value)) return Program.Fail("--encryption-provider-config needs a value");
                    encryptionConfig = Path.GetFullPath(value);
                    break;
                default:
                    return Program.Fail($"unknown flag \"{flag}\" for \"anvil up\"");
            }
        }
        if (string.IsNullOrEmpty(dataDir)) return Program.Fail("--data-dir needs a value");

        using var stop = new CancellationTokenSource();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        await using var server = new ApiServerHost(new ApiServerOptions
        {
            DataDir = dataDir,
            Port = port,
            Bind = bind,
            AuditLogPath = auditLogPath,
            AuditPolicyFile = auditPolicyFile,
            AuditLogMaxSizeMB = auditMaxSize,
            AuditLogMaxBackups = auditMaxBackup,
            AuditLogMaxAgeDays = auditMaxAge,
            EncryptionProviderConfig = encryptionConfig,
            PlatformAdmission = host => Anvil.Toolforge.Policy.ToolforgePolicy.Plugins(host, toolforge),
        });
        try
        {
            await server.StartAsync(stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FormatException or EncryptionException)
        {
            return Program.Fail(e.Message);
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            return Program.Fail($"cannot listen on {bind}:{port}: {e.Message}");
        }
        // Controllers talk to the API over HTTPS like any client, under their own identity.
        using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevelFromEnvironment()));
        var (cert, key) = server.Pki.IssueClientCertificate("system:kube-controller-manager", [], TimeSpan.FromDays(365));
        using var controllerClient = KubeClient.FromPem(new Uri(server.ServerUrl), server.Pki.CaPem, cert, key, "kube-controller-manager");
        // The service account controllers write as their own service accounts (client certificates naming them).
        var controllerClients = new List<KubeClient>();
        KubeClient ClientFor(string controller)
        {
            var (c, k) = server.Pki.IssueClientCertificate("system:serviceaccount:kube-system:" + controller,
                ["system:serviceaccounts", "system:serviceaccounts:kube-system"], TimeSpan.FromDays(365));
            var client = KubeClient.FromPem(new Uri(server.ServerUrl), server.Pki.CaPem, c, k, "kube-controller-manager/" + controller);
            lock (controllerClients) controllerClients.Add(client);
            return client;
        }
        using var saKey = System.Security.Cryptography.RSA.Create();
        saKey.ImportFromPem(File.ReadAllText(server.ServiceAccountKeyPath));
        var controllers = ControllerManager.RunAsync(controllerClient, logs, stop.Token,
            new Anvil.Controllers.ServiceAccount.ServiceAccountControllerOptions(ClientFor, server.Pki.CaPem, saKey));
        var (schedulerCert, schedulerKey) = server.Pki.IssueClientCertificate("system:kube-scheduler", [], TimeSpan.FromDays(365));
        using var schedulerClient = KubeClient.FromPem(new Uri(server.ServerUrl), server.Pki.CaPem, schedulerCert, schedulerKey, "kube-scheduler");
        var scheduler = new Anvil.Scheduler.Scheduler(schedulerClient, logs.CreateLogger("scheduler")).RunAsync(stop.Token);
        // Toolforge: CRDs, roles, kubectl-sudo and the tool-accounts controller (maintain-kubeusers).
        Task toolAccounts;
        try
        {
            toolAccounts = await ToolforgeStartup.StartAsync(server, dataDir, toolforge, logs, stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ApiException or HttpRequestException or IOException)
        {
            return Program.Fail($"installing the Toolforge resources failed: {e.Message}");
        }

        // The node agent (kubelet) as system:node:<name>; it leaves its containers running on shutdown (they are
        // adopted on the next start). --no-node: a control plane without a node.
        KubeClient? nodeClient = null;
        KubeletServer? kubelet = null;
        KubeClient? proxyClient = null;
        var node = Task.CompletedTask;
        var proxy = Task.CompletedTask;
        if (runNode)
        {
            if (RuncRuntime.Unavailable() is { } why)
            {
                Console.Error.WriteLine($"anvil: not running the node agent: {why}");
            }
            else
            {
                var nodeName = Environment.MachineName.ToLowerInvariant();
                var (nodeCert, nodeKey) = server.Pki.IssueClientCertificate("system:node:" + nodeName, ["system:nodes"], TimeSpan.FromDays(365));
                nodeClient = KubeClient.FromPem(new Uri(server.ServerUrl), server.Pki.CaPem, nodeCert, nodeKey, "kubelet/" + NodeAgent.KubeletVersion);
                var network = new PodNetworkOptions { PodCidr = podCidr, Prefix = networkPrefix };
                var agent = new NodeAgent(nodeClient, new NodeAgentOptions
                {
                    DataDir = dataDir,
                    NodeName = nodeName,
                    Network = network,
                    // This node is also the control plane (as a k3s server node is), without kubeadm's NoSchedule taint.
                    Labels = new Dictionary<string, string> { ["node-role.kubernetes.io/control-plane"] = "" },
                }, logs.CreateLogger("node"));
                var stats = new Anvil.Node.Stats.StatsCollector(agent.Runtime, log: logs.CreateLogger("stats"));
                // The kubelet's HTTPS API (exec, attach, logs, stats, port-forward), with a serving certificate from the cluster CA.
                kubelet = new KubeletServer(agent, new KubeletServerOptions
                {
                    Bind = agent.HostIP,
                    Port = kubeletPort,
                    ServingCertificate = server.Pki.IssueServingCertificate("system:node:" + nodeName, [agent.HostIP, nodeName, "localhost"], TimeSpan.FromDays(365)),
                    ClientCa = server.Pki.Ca,
                }, logs.CreateLogger("kubelet"), stats);
                try
                {
                    await kubelet.StartAsync(stop.Token).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    return Program.Fail($"cannot listen on {agent.HostIP}:{kubeletPort} (--kubelet-port): {e.Message}");
                }
                agent.KubeletPort = kubelet.Port;
                node = Task.WhenAll(agent.RunAsync(stop.Token), stats.RunAsync(stop.Token));
                // kube-proxy beside the agent, as system:kube-proxy (bound to system:node-proxier), when pods have their own network.
                if ((CniNetwork.Unavailable(network.CniBinDir) ?? ServiceProxy.Unavailable()) is { } noProxy)
                {
                    Console.Error.WriteLine($"anvil: not running the service proxy: {noProxy}");
                }
                else
                {
                    var (proxyCert, proxyKey) = server.Pki.IssueClientCertificate("system:kube-proxy", [], TimeSpan.FromDays(365));
                    proxyClient = KubeClient.FromPem(new Uri(server.ServerUrl), server.Pki.CaPem, proxyCert, proxyKey, "kube-proxy");
                    var proxyOptions = new ProxyOptions { ChainPrefix = networkPrefix.ToUpperInvariant() + "-", PodCidr = podCidr, NodeName = nodeName };
                    proxy = new ServiceProxy(proxyClient, proxyOptions, logs.CreateLogger("proxy")).RunAsync(stop.Token);
                }
            }
        }

        // SIGHUP: re-read the encryption configuration and re-encrypt (anvil admin rotate-encryption-key sends it).
        // Started by nohup (or as a shell's background job) the process inherits SIGHUP ignored, and .NET then installs
        // no handler: the reload would be lost without a word. SIGHUP only ever reloads here, so take it back first.
        signal(SIGHUP, SIG_DFL);
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c =>
        {
            c.Cancel = true;
            Console.Out.WriteLine("anvil: SIGHUP: reloading the encryption configuration");
            _ = ReloadEncryptionAsync(server, stop.Token);
        });
        var pidFile = DataDirs.PidFile(dataDir);
        FileModes.WritePrivate(pidFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");

        Console.Out.WriteLine($"anvil: ready at {server.ServerUrl} (kubeconfig {server.AdminKubeconfigPath})");
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        Console.Out.WriteLine("anvil: shutting down");
        try
        {
            File.Delete(pidFile);
        }
        catch (IOException)
        {
        }
        try
        {
            await Task.WhenAll(controllers, scheduler, toolAccounts).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }
        try
        {
            await Task.WhenAll(node, proxy).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }
        if (kubelet != null) await kubelet.DisposeAsync().ConfigureAwait(false);
        nodeClient?.Dispose();
        proxyClient?.Dispose();
        foreach (var c in controllerClients) c.Dispose();
        return 0;
    }

    private static readonly SemaphoreSlim s_reload = new(1, 1);

    private static async Task ReloadEncryptionAsync(ApiServerHost server, CancellationToken ct)
    {
        await s_reload.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var n = await server.ReloadEncryptionConfigurationAsync(ct).ConfigureAwait(false);
            Console.Out.WriteLine($"anvil: encryption configuration reloaded from {server.EncryptionConfigPath}; re-encrypted {n} stored values");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"anvil: reloading the encryption configuration failed (the previous one stays in use): {e.Message}");
        }
        finally
        {
            s_reload.Release();
        }
    }

    private static bool TryCount(string? value, out int n) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out n);

    internal static (string Flag, string? Value) SplitFlag(string[] args, ref int i)
    {
        var arg = args[i];
        var eq = arg.IndexOf('=');
        if (eq > 0) return (arg[..eq], arg[(eq + 1)..]);
        var value = i + 1 < args.Length ? args[++i] : null;
        return (arg, value);
    }

    /// <summary>ANVIL_LOG_LEVEL (Trace, Debug, Information ...) for diagnosis, e.g. Debug for the node's pod startup phases; Warning otherwise.</summary>
    private static LogLevel LogLevelFromEnvironment() =>
        Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("ANVIL_LOG_LEVEL"), true, out var level) ? level : LogLevel.Warning;

    private const int SIGHUP = 1;
    private static readonly IntPtr SIG_DFL = IntPtr.Zero;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern IntPtr signal(int signum, IntPtr handler);
}
