using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Node.Network;
using Anvil.Node.Runtime;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.Proxy;

/// <summary>
/// kube-proxy in iptables mode: watches Services and EndpointSlices and, after each change (and every
/// <see cref="ProxyOptions.ResyncInterval"/>), rewrites its filter and nat chains with <see cref="ProxyRules"/> through
/// <c>iptables-restore --noflush</c>. The jumps from the built-in chains are checked before each full write. Rules
/// stay on shutdown (traffic keeps flowing while it restarts), like kube-proxy's; the first write after a restart
/// removes chains of Services deleted meanwhile.
/// </summary>
public sealed class ServiceProxy
{
    public static readonly ResourceRef Services = new("", "v1", "services", true);
    public static readonly ResourceRef EndpointSlices = new("discovery.k8s.io", "v1", "endpointslices", true);

    private readonly ProxyOptions _options;
    private readonly ILogger _log;
    private readonly Informer _services;
    private readonly Informer _slices;
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);

    public ServiceProxy(KubeClient client, ProxyOptions options, ILogger log)
    {
        _options = options;
        _log = log;
        _services = new Informer(client, Services, log);
        _slices = new Informer(client, EndpointSlices, log);
        foreach (var i in new[] { _services, _slices })
        {
            i.Added += _ => _changed.Release();
            i.Updated += (_, _) => _changed.Release();
            i.Deleted += _ => _changed.Release();
        }
    }

    /// <summary>Why the proxy cannot run here (null: it can): root and iptables-restore.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux";
        if (Environment.UserName != "root") return "not running as root";
        if (HostCommand.Find("/usr/sbin/iptables-restore", "/sbin/iptables-restore") == null) return "iptables-restore is not installed (apt-get install iptables)";
        return null;
    }

    /// <summary>Number of successful writes so far (tests wait on it instead of sleeping).</summary>
    public int Syncs { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        var watches = new[] { _services.RunAsync(ct), _slices.RunAsync(ct) };
        try
        {
            await _services.WaitForSyncAsync(ct).ConfigureAwait(false);
            await _slices.WaitForSyncAsync(ct).ConfigureAwait(false);
            var lastFull = DateTime.MinValue;
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    var full = DateTime.UtcNow - lastFull >= _options.ResyncInterval;
                    if (full) await EnsureJumpsAsync(ct).ConfigureAwait(false);
                    await SyncAsync(ct).ConfigureAwait(false);
                    if (full) lastFull = DateTime.UtcNow;
                }
                catch (Exception e) when (e is IOException or InvalidOperationException)
                {
                    _log.LogWarning("service proxy sync failed error={Error}", e.Message);
                    lastFull = DateTime.MinValue;
                }
                await _changed.WaitAsync(_options.ResyncInterval, ct).ConfigureAwait(false);
                // Coalesce a burst of events into one write.
                await Task.Delay(100, ct).ConfigureAwait(false);
                while (_changed.CurrentCount > 0) await _changed.WaitAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        try { await Task.WhenAll(watches).ConfigureAwait(false); } catch (OperationCanceledException) { }
    }

    private async Task SyncAsync(CancellationToken ct)
    {
        var (code, saved, err) = await HostCommand.RunAsync("iptables-save", ["-t", "nat"], ct).ConfigureAwait(false);
        if (code != 0) throw new IOException($"iptables-save: {err.Trim()}");
        var ports = ProxyRules.Collect(_services.List(), _slices.List(), _options.NodeName);
        await Iptables.RestoreAsync(ProxyRules.Render(_options, ports, ProxyRules.Chains(saved)), ct).ConfigureAwait(false);
        Syncs++;
    }

    /// <summary>Our top chains exist and the built-in chains jump to them (inserted first, once), in nat and filter.</summary>
    private async Task EnsureJumpsAsync(CancellationToken ct)
    {
        foreach (var (table, chain) in new[]
        {
            ("nat", _options.ServicesChain), ("nat", _options.PostroutingChain),
            ("filter", _options.ServicesChain), ("filter", _options.ExternalServicesChain),
        })
            await Iptables.RunAsync(["-t", table, "-N", chain], ct).ConfigureAwait(false);
        string[] newOnly = ["-m", "conntrack", "--ctstate", "NEW"];
        foreach (var (table, from, to, comment, match) in new[]
        {
            ("nat", "PREROUTING", _options.ServicesChain, "anvil service portals", Array.Empty<string>()),
            ("nat", "OUTPUT", _options.ServicesChain, "anvil service portals", []),
            ("nat", "POSTROUTING", _options.PostroutingChain, "anvil postrouting rules", []),
            // Only new connections: the rejects are for services without endpoints, never for flows already set up.
            ("filter", "INPUT", _options.ExternalServicesChain, "anvil externally-visible service portals", newOnly),
            ("filter", "FORWARD", _options.ExternalServicesChain, "anvil externally-visible service portals", newOnly),
            ("filter", "FORWARD", _options.ServicesChain, "anvil service portals", newOnly),
            ("filter", "OUTPUT", _options.ServicesChain, "anvil service portals", newOnly),
        })
        {
            string[] rule = [.. match, "-m", "comment", "--comment", comment, "-j", to];
            var (check, _) = await Iptables.RunAsync(["-t", table, "-C", from, .. rule], ct).ConfigureAwait(false);
            if (check == 0) continue;
            var (insert, err) = await Iptables.RunAsync(["-t", table, "-I", from, .. rule], ct).ConfigureAwait(false);
            if (insert != 0) throw new IOException($"iptables -t {table} -I {from} -j {to}: {err.Trim()}");
        }
    }

    /// <summary>Removes every chain of <paramref name="options"/> and the jumps to them.</summary>
    public static Task CleanupAsync(ProxyOptions options, CancellationToken ct = default) =>
        NetworkCleanup.RemoveAsync(null, options.ChainPrefix, ct);
}
