using System.Diagnostics;
using System.Text.Json.Nodes;
using Anvil.Node.Runtime;

namespace Anvil.Node.Network;

/// <summary>
/// Pod sandboxes on the CNI bridge network: a named network namespace per pod (<c>ip netns add</c>), CNI ADD of
/// loopback and the bridge conflist (<see cref="CniConfig"/>), the pod's hosts and resolv.conf, all recorded
/// under <c>&lt;data-dir&gt;/sandboxes/&lt;uid&gt;</c> so a restarted agent adopts them. Set-up and tear-down are
/// idempotent. Host-network pods get a record (and the host's address) but no namespace.
/// </summary>
public sealed class CniNetwork
{
    private readonly string _sandboxes;
    private readonly string _ipamDir;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private bool _hostReady;

    public CniNetwork(string dataDir, PodNetworkOptions? options = null)
    {
        Options = options ?? new PodNetworkOptions();
        CniConfig.NormalizeCidr(Options.PodCidr);
        _sandboxes = Path.Combine(dataDir, "sandboxes");
        _ipamDir = Path.Combine(dataDir, "cni", "networks");
    }

    public PodNetworkOptions Options { get; }

    /// <summary>Why pods cannot get their own network here (null: they can): root, ip, iptables and the CNI plugins.</summary>
    public static string? Unavailable(string cniBinDir = "/usr/lib/cni")
    {
        if (!OperatingSystem.IsLinux()) return "not Linux";
        if (Environment.UserName != "root") return "not running as root";
        foreach (var plugin in new[] { "bridge", "host-local", "loopback" })
            if (!File.Exists(Path.Combine(cniBinDir, plugin))) return $"the CNI plugin {plugin} is not in {cniBinDir} (apt-get install containernetworking-plugins)";
        if (HostCommand.Find("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip") == null) return "ip is not installed (apt-get install iproute2)";
        if (HostCommand.Find("/usr/sbin/iptables", "/sbin/iptables") == null) return "iptables is not installed (apt-get install iptables)";
        return null;
    }

    public string NetnsName(string podUid) => $"{Options.Prefix}-{podUid}";

    private string Dir(string podUid) => Path.Combine(_sandboxes, podUid);

    /// <summary>The recorded sandbox of a pod, or null.</summary>
    public PodSandbox? Get(string podUid) => PodSandbox.Read(Dir(podUid));

    /// <summary>Pod uids with a recorded sandbox.</summary>
    public IReadOnlyList<string> List()
    {
        try { return Directory.GetDirectories(_sandboxes).Where(d => File.Exists(Path.Combine(d, PodSandbox.FileName))).Select(Path.GetFileName).OfType<string>().ToList(); }
        catch (DirectoryNotFoundException) { return []; }
    }

    /// <summary>Creates the pod's sandbox, or adopts the recorded one when its namespace still exists.</summary>
    public async Task<PodSandbox> SetUpAsync(PodSandboxConfig config, string hostIP, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var dir = Dir(config.PodUid);
            var existing = PodSandbox.Read(dir);
            if (existing != null && (existing.HostNetwork || File.Exists(existing.NetnsPath) && existing.IP.Length > 0))
                return existing;
            if (config.HostNetwork)
            {
                var host = new PodSandbox(config.PodUid, config.Namespace, config.Name, config.Hostname, true, "", hostIP, dir);
                host.Write();
                return host;
            }
            await EnsureHostAsync(ct).ConfigureAwait(false);
            var netns = NetnsName(config.PodUid);
            var path = "/run/netns/" + netns;
            // A half-made sandbox (or one whose namespace vanished with a reboot): release what CNI holds first.
            if (existing != null || File.Exists(path)) await CniDelAsync(netns, existing?.ResultJson, ct).ConfigureAwait(false);
            if (!File.Exists(path))
            {
                var (code, _, err) = await HostCommand.RunAsync("ip", ["netns", "add", netns], ct).ConfigureAwait(false);
                if (code != 0 && !File.Exists(path)) throw new IOException($"ip netns add {netns}: {err.Trim()}");
            }
            JsonObject? result;
            try
            {
                await CniPlugin.RunAsync(Options.CniBinDir, "ADD", netns, path, "lo", CniConfig.Loopback(), ct).ConfigureAwait(false);
                result = null;
                var conflist = CniConfig.BridgeConflist(Options, _ipamDir);
                foreach (var plugin in (conflist["plugins"] as JsonArray ?? []).OfType<JsonObject>())
                    result = await CniPlugin.RunAsync(Options.CniBinDir, "ADD", netns, path, "eth0", CniConfig.PluginConfig(conflist, plugin, result), ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                try { await CniDelAsync(netns, null, CancellationToken.None).ConfigureAwait(false); }
                catch (IOException) { }
                await HostCommand.RunAsync("ip", ["netns", "delete", netns], CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            var ip = CniConfig.FirstIPv4(result) ?? throw new IOException("CNI bridge ADD returned no IPv4 address");
            var sandbox = new PodSandbox(config.PodUid, config.Namespace, config.Name, config.Hostname, false, netns, ip, dir)
            {
                Result = result?.ToJsonString(),
            };
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(sandbox.HostsPath, PodFiles.Hosts(ip, config.Hostname), ct).ConfigureAwait(false);
            var hostResolv = File.Exists("/etc/resolv.conf") ? await File.ReadAllTextAsync("/etc/resolv.conf", ct).ConfigureAwait(false) : "";
            await File.WriteAllTextAsync(sandbox.ResolvConfPath, PodFiles.ResolvConf(hostResolv, config.Namespace), ct).ConfigureAwait(false);
            sandbox.Write();
            return sandbox;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>CNI DEL, deletes the namespace and the record; nothing to do when there is no sandbox.</summary>
    public async Task TearDownAsync(string podUid, CancellationToken ct)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var dir = Dir(podUid);
            var sandbox = PodSandbox.Read(dir);
            var netns = NetnsName(podUid);
            if (sandbox is { HostNetwork: false } || File.Exists("/run/netns/" + netns))
            {
                await CniDelAsync(netns, sandbox?.ResultJson, ct).ConfigureAwait(false);
                if (File.Exists("/run/netns/" + netns))
                {
                    var (code, _, err) = await HostCommand.RunAsync("ip", ["netns", "delete", netns], ct).ConfigureAwait(false);
                    if (code != 0 && File.Exists("/run/netns/" + netns)) throw new IOException($"ip netns delete {netns}: {err.Trim()}");
                }
            }
            try { if (Directory.Exists(dir)) Directory.Delete(dir, true); } catch (IOException) { }
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task CniDelAsync(string netns, JsonObject? prevResult, CancellationToken ct)
    {
        var path = "/run/netns/" + netns;
        // DEL runs even when the namespace is gone (CNI_NETNS may then be empty): host-local must release the IP.
        var nsPath = File.Exists(path) ? path : "";
        var conflist = CniConfig.BridgeConflist(Options, _ipamDir);
        foreach (var plugin in (conflist["plugins"] as JsonArray ?? []).OfType<JsonObject>().Reverse())
        {
            try
            {
                await CniPlugin.RunAsync(Options.CniBinDir, "DEL", netns, nsPath, "eth0", CniConfig.PluginConfig(conflist, plugin, prevResult), ct).ConfigureAwait(false);
            }
            catch (IOException e) when (e.Message.Contains("does not exist", StringComparison.Ordinal))
            {
                // DEL of something half made (bridge 1.1 fails on a missing masquerade chain): nothing left to undo.
            }
        }
        if (nsPath.Length > 0)
        {
            try { await CniPlugin.RunAsync(Options.CniBinDir, "DEL", netns, nsPath, "lo", CniConfig.Loopback(), ct).ConfigureAwait(false); }
            catch (IOException) { }
        }
    }

    /// <summary>Routing between the bridge and the host (kube-proxy's DNAT needs it) and iptables for bridged traffic.</summary>
    private async Task EnsureHostAsync(CancellationToken ct)
    {
        if (_hostReady) return;
        await File.WriteAllTextAsync("/proc/sys/net/ipv4/ip_forward", "1\n", ct).ConfigureAwait(false);
        // br_netfilter: replies between pods on the bridge must pass conntrack to undo a Service's DNAT.
        const string bridgeNf = "/proc/sys/net/bridge/bridge-nf-call-iptables";
        if (!File.Exists(bridgeNf) && HostCommand.Find("/usr/sbin/modprobe", "/sbin/modprobe") is { } modprobe)
            await HostCommand.RunAsync(modprobe, ["br_netfilter"], ct).ConfigureAwait(false);
        if (File.Exists(bridgeNf))
        {
            try { await File.WriteAllTextAsync(bridgeNf, "1\n", ct).ConfigureAwait(false); }
            catch (IOException) { }
        }
        _hostReady = true;
    }
}
