using System.Diagnostics;
using System.Text.Json.Nodes;
using Anvil.Node.Runtime;

namespace Anvil.Node.Network;

/// <summary>
/// Pod sandboxes on the CNI bridge network: a named network namespace per pod (<see cref="NetNamespace"/>, made with
/// lo up; the loopback plugin runs only for one made by <c>ip netns add</c>), CNI ADD of the bridge conflist
/// (<see cref="CniConfig"/>), the pod's hosts and resolv.conf, all recorded
/// under <c>&lt;data-dir&gt;/sandboxes/&lt;uid&gt;</c> so a restarted agent adopts them. Set-up and tear-down are
/// idempotent. Host-network pods get a record (and the host's address) but no namespace.
/// </summary>
public sealed class CniNetwork
{
    private readonly string _sandboxes;
    private readonly string _ipamDir;
    // One lock per pod: set-up and tear-down of the same pod never overlap, different pods' run at once (the CNI
    // plugins lock what they share: host-local its address files, iptables its tables). One sandbox at a time made
    // startup latency grow with the number of pods being started or removed; so did locks shared by a hash.
    private readonly Dictionary<string, (SemaphoreSlim Lock, int Users)> _podLocks = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _hostLock = new(1, 1);
    private volatile bool _hostReady;

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

    /// <summary>Waits for the pod's lock; hand it back with <see cref="Unlock"/>.</summary>
    private async Task<SemaphoreSlim> LockAsync(string podUid, CancellationToken ct)
    {
        SemaphoreSlim sem;
        lock (_podLocks)
        {
            var (existing, users) = _podLocks.TryGetValue(podUid, out var e) ? e : (new SemaphoreSlim(1, 1), 0);
            sem = existing;
            _podLocks[podUid] = (sem, users + 1);
        }
        try
        {
            await sem.WaitAsync(ct).ConfigureAwait(false);
            return sem;
        }
        catch
        {
            Forget(podUid);
            throw;
        }
    }

    private void Unlock(string podUid, SemaphoreSlim sem)
    {
        sem.Release();
        Forget(podUid);
    }

    private void Forget(string podUid)
    {
        lock (_podLocks)
        {
            var (sem, users) = _podLocks[podUid];
            if (users <= 1) _podLocks.Remove(podUid);
            else _podLocks[podUid] = (sem, users - 1);
        }
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
        var (_, ready) = await BeginSetUpAsync(config, hostIP, ct).ConfigureAwait(false);
        return await ready.ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="SetUpAsync"/> in two steps: returns once the network namespace, resolv.conf and hosts file exist
    /// (<paramref name="config"/>'s containers can be created in it: <c>Prepared</c>, IP still empty), while
    /// <c>Ready</c> runs the CNI ADD, then writes the pod's address into the same hosts file (bind mounts see it)
    /// and the record. The ADD thus runs while the container's bundle is made and <c>runc create</c> runs; nothing
    /// may start in the pod before <c>Ready</c> completes. A failed ADD removes the namespace; Ready throws.
    /// </summary>
    public async Task<(PodSandbox Prepared, Task<PodSandbox> Ready)> BeginSetUpAsync(PodSandboxConfig config, string hostIP, CancellationToken ct)
    {
        var podLock = await LockAsync(config.PodUid, ct).ConfigureAwait(false);
        var netns = NetnsName(config.PodUid);
        var path = "/run/netns/" + netns;
        PodSandbox prepared;
        var loopbackUp = false;
        try
        {
            var dir = Dir(config.PodUid);
            var existing = PodSandbox.Read(dir);
            if (existing != null && (existing.HostNetwork || File.Exists(existing.NetnsPath) && existing.IP.Length > 0))
            {
                Unlock(config.PodUid, podLock);
                return (existing, Task.FromResult(existing));
            }
            if (config.HostNetwork)
            {
                var host = new PodSandbox(config.PodUid, config.Namespace, config.Name, config.Hostname, true, "", hostIP, dir);
                host.Write();
                Unlock(config.PodUid, podLock);
                return (host, Task.FromResult(host));
            }
            await EnsureHostAsync(ct).ConfigureAwait(false);
            // A half-made sandbox (or one whose namespace vanished with a reboot): release what CNI holds first.
            if (existing != null || File.Exists(path)) await CniDelAsync(netns, existing?.ResultJson, existing is { NodeMasquerade: false }, ct).ConfigureAwait(false);
            loopbackUp = await NetNamespace.AddAsync(netns, ct).ConfigureAwait(false);
            prepared = new PodSandbox(config.PodUid, config.Namespace, config.Name, config.Hostname, false, netns, "", dir) { NodeMasquerade = true };
            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(prepared.HostsPath, PodFiles.Hosts("", config.Hostname), ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(prepared.HostnamePath, config.Hostname + "\n", ct).ConfigureAwait(false);
            var hostResolv = File.Exists("/etc/resolv.conf") ? await File.ReadAllTextAsync("/etc/resolv.conf", ct).ConfigureAwait(false) : "";
            await File.WriteAllTextAsync(prepared.ResolvConfPath, PodFiles.ResolvConf(hostResolv, config.Namespace), ct).ConfigureAwait(false);
        }
        catch
        {
            Unlock(config.PodUid, podLock);
            throw;
        }
        return (prepared, ConnectAsync(prepared, loopbackUp, () => Unlock(config.PodUid, podLock), ct));
    }

    /// <summary>CNI ADD of lo (unless the namespace was made with it up) and eth0 into a prepared sandbox; releases the pod's lock at the end.</summary>
    private async Task<PodSandbox> ConnectAsync(PodSandbox prepared, bool loopbackUp, Action unlock, CancellationToken ct)
    {
        try
        {
            var netns = prepared.Netns;
            var path = prepared.NetnsPath;
            JsonObject? result = null;
            string ip;
            try
            {
                // lo and eth0 are independent: their plugins run at once.
                var loopback = loopbackUp ? Task.FromResult<JsonObject?>(null) : CniPlugin.RunAsync(Options.CniBinDir, "ADD", netns, path, "lo", CniConfig.Loopback(), ct);
                var conflist = CniConfig.BridgeConflist(Options, _ipamDir);
                try
                {
                    foreach (var plugin in (conflist["plugins"] as JsonArray ?? []).OfType<JsonObject>())
                        result = await CniPlugin.RunAsync(Options.CniBinDir, "ADD", netns, path, "eth0", CniConfig.PluginConfig(conflist, plugin, result), ct).ConfigureAwait(false);
                }
                finally
                {
                    await loopback.ConfigureAwait(false);
                }
                ip = CniConfig.FirstIPv4(result) ?? throw new IOException("CNI bridge ADD returned no IPv4 address");
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                try { await CniDelAsync(netns, null, false, CancellationToken.None, namespaceGoes: true).ConfigureAwait(false); }
                catch (IOException) { }
                try { NetNamespace.Delete(netns); }
                catch (IOException) { }
                throw;
            }
            var sandbox = prepared with { IP = ip, Result = result?.ToJsonString() };
            // In place: containers already created bind-mount this very file.
            await File.WriteAllTextAsync(sandbox.HostsPath, PodFiles.Hosts(ip, sandbox.Hostname), CancellationToken.None).ConfigureAwait(false);
            sandbox.Write();
            return sandbox;
        }
        finally
        {
            unlock();
        }
    }

    /// <summary>CNI DEL, deletes the namespace and the record; nothing to do when there is no sandbox.</summary>
    public async Task TearDownAsync(string podUid, CancellationToken ct)
    {
        var podLock = await LockAsync(podUid, ct).ConfigureAwait(false);
        try
        {
            var dir = Dir(podUid);
            var sandbox = PodSandbox.Read(dir);
            var netns = NetnsName(podUid);
            if (sandbox is { HostNetwork: false } || File.Exists("/run/netns/" + netns))
            {
                await CniDelAsync(netns, sandbox?.ResultJson, sandbox is { NodeMasquerade: false }, ct, namespaceGoes: true).ConfigureAwait(false);
                NetNamespace.Delete(netns);
            }
            try { if (Directory.Exists(dir)) Directory.Delete(dir, true); } catch (IOException) { }
        }
        finally
        {
            Unlock(podUid, podLock);
        }
    }

    /// <param name="ipMasq">The sandbox has CNI's masquerade chain of its own (made before the node's rule).</param>
    /// <param name="namespaceGoes">The caller deletes the namespace next: its veth goes with it.</param>
    private async Task CniDelAsync(string netns, JsonObject? prevResult, bool ipMasq, CancellationToken ct, bool namespaceGoes = false)
    {
        var path = "/run/netns/" + netns;
        // DEL runs even when the namespace is gone (CNI_NETNS may then be empty): host-local must release the IP.
        var nsPath = File.Exists(path) ? path : "";
        var conflist = CniConfig.BridgeConflist(Options, _ipamDir, ipMasq);
        foreach (var plugin in (conflist["plugins"] as JsonArray ?? []).OfType<JsonObject>().Reverse())
        {
            try
            {
                // Without a masquerade chain of its own, all the bridge's DEL does beyond the IPAM plugin's DEL is to delete
                // the pod's veth, which goes with the namespace anyway (the kernel removes both ends, batched with other
                // namespaces): only the address is released then, by the IPAM plugin with the same config, as the bridge
                // would call it. The bridge's netlink work ran under the RTNL lock, 40-55 ms a pod, serialised with every
                // other pod's ADD.
                var type = namespaceGoes && !ipMasq && (string?)plugin["type"] == "bridge" && plugin["ipam"]?["type"] is JsonValue ipam
                    ? (string?)ipam : null;
                var config = CniConfig.PluginConfig(conflist, plugin, prevResult);
                if (type != null) config["type"] = type;
                await CniPlugin.RunAsync(Options.CniBinDir, "DEL", netns, nsPath, "eth0", config, ct).ConfigureAwait(false);
            }
            catch (IOException e) when (e.Message.Contains("does not exist", StringComparison.Ordinal))
            {
                // DEL of something half made (bridge 1.1 fails on a missing masquerade chain): nothing left to undo.
            }
        }
        // No loopback DEL: it only sets lo down, and lo goes with the namespace (a plugin run less per pod stopped).
    }

    /// <summary>
    /// Routing between the bridge and the host (kube-proxy's DNAT needs it), iptables for bridged traffic, and the
    /// masquerade of pod traffic leaving the pod CIDR.
    /// </summary>
    private async Task EnsureHostAsync(CancellationToken ct)
    {
        if (_hostReady) return;
        await _hostLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_hostReady) await PrepareHostAsync(ct).ConfigureAwait(false);
            _hostReady = true;
        }
        finally
        {
            _hostLock.Release();
        }
    }

    private async Task PrepareHostAsync(CancellationToken ct)
    {
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
        await Iptables.RestoreAsync(CniConfig.MasqueradeScript(Options), ct).ConfigureAwait(false);
        var jump = CniConfig.MasqueradeJump(Options);
        var (check, _) = await Iptables.RunAsync(["-t", "nat", "-C", "POSTROUTING", .. jump], ct).ConfigureAwait(false);
        if (check == 0) return;
        var (add, err) = await Iptables.RunAsync(["-t", "nat", "-A", "POSTROUTING", .. jump], ct).ConfigureAwait(false);
        if (add != 0) throw new IOException($"adding the pod masquerade rule failed: {err.Trim()}");
    }
}
