using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Machinery.Meta;
using Anvil.Node.Images;
using Anvil.Node.Logs;
using Anvil.Node.Probes;
using Anvil.Node.Network;
using Anvil.Node.Runtime;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.Pods;

/// <summary>
/// The node agent (kubelet): registers its Node, renews its Lease in kube-node-lease, watches the pods bound to it
/// (fieldSelector spec.nodeName) and runs one <see cref="PodWorker"/> per pod UID. It owns no truth: on start it
/// adopts the containers the runtime still has and removes those whose pods are gone. On shutdown containers keep
/// running (conmon supervises them).
/// </summary>
public sealed class NodeAgent
{
    public static readonly ResourceRef Pods = new("", "v1", "pods", true);
    public static readonly ResourceRef Nodes = new("", "v1", "nodes", false);
    public static readonly ResourceRef Leases = new("coordination.k8s.io", "v1", "leases", true);
    public const string KubeletVersion = "v1.32.4";

    private readonly NodeAgentOptions _options;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, PodWorker> _workers = new();
    private readonly List<Task> _running = [];

    public NodeAgent(KubeClient client, NodeAgentOptions options, ILogger log)
    {
        Client = client;
        _options = options;
        _log = log;
        Runtime = options.Runtime ?? new RuncRuntime(options.DataDir, network: PodNetwork(options, log));
        Images = options.Images ?? new ImageStore(options.DataDir);
        KubeletPort = options.KubeletPort;
        Events = new EventRecorder(client, "kubelet", log) { Host = options.NodeName };
        Prober = new Prober(Runtime);
        Volumes = new Volumes.PodVolumeManager(options.DataDir, new Volumes.ApiPodObjectSource(client));
        Services = new Env.ServiceView(client, log);
    }

    /// <summary>The port the kubelet server listens on (set once it has started, before <see cref="RunAsync"/>).</summary>
    public int KubeletPort { get; set; }

    private static CniNetwork? PodNetwork(NodeAgentOptions options, ILogger log)
    {
        if (options.Network == null) return null;
        if (CniNetwork.Unavailable(options.Network.CniBinDir) is { } why)
        {
            log.LogWarning("pods share the host network: {Reason}", why);
            return null;
        }
        return new CniNetwork(options.DataDir, options.Network);
    }

    /// <summary>Pod volumes under &lt;data-dir&gt;/pods (Volumes/).</summary>
    public Volumes.PodVolumeManager Volumes { get; }

    /// <summary>All Services, for the containers' Service variables (Env/ServiceEnv).</summary>
    public Env.ServiceView Services { get; }

    public KubeClient Client { get; }
    public IRuntimeService Runtime { get; }
    public ImageStore Images { get; }
    /// <summary>Events as source.component "kubelet" (probe failures, Killing).</summary>
    public EventRecorder Events { get; }
    public IProber Prober { get; }
    public string NodeName => _options.NodeName;
    public string HostIP => _options.HostIP;

    public async Task RunAsync(CancellationToken ct)
    {
        await RegisterAsync(ct).ConfigureAwait(false);
        var informer = new Informer(Client, Pods, _log, "", "fieldSelector=" + Uri.EscapeDataString("spec.nodeName=" + NodeName));
        informer.Added += p => Dispatch(p, ct);
        informer.Updated += (_, p) => Dispatch(p, ct);
        informer.Deleted += p => { if (_workers.TryGetValue(ObjectMeta.Uid(p), out var w)) w.Update(null); };
        var watch = informer.RunAsync(ct);
        var services = Services.RunAsync(ct);
        var heartbeat = HeartbeatAsync(ct);
        try
        {
            await informer.WaitForSyncAsync(ct).ConfigureAwait(false);
            await RemoveOrphansAsync(informer, ct).ConfigureAwait(false);
            await Task.WhenAll(watch, heartbeat, services).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        Task[] workers;
        lock (_running) workers = [.. _running];
        try { await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
    }

    private void Dispatch(JsonObject pod, CancellationToken ct)
    {
        var uid = ObjectMeta.Uid(pod);
        var created = false;
        var worker = _workers.GetOrAdd(uid, u => { created = true; return new PodWorker(this, u, _log); });
        worker.Update((JsonObject)pod.DeepClone());
        if (!created) return;
        var task = Task.Run(async () =>
        {
            try { await worker.RunAsync(ct).ConfigureAwait(false); }
            finally { _workers.TryRemove(new KeyValuePair<string, PodWorker>(uid, worker)); }
        }, CancellationToken.None);
        lock (_running)
        {
            _running.RemoveAll(t => t.IsCompleted);
            _running.Add(task);
        }
    }

    /// <summary>Containers of pods this node no longer has (deleted while the agent was down) are removed.</summary>
    private async Task RemoveOrphansAsync(Informer informer, CancellationToken ct)
    {
        var uids = informer.List().Select(ObjectMeta.Uid).ToHashSet();
        foreach (var c in await Runtime.ListContainersAsync(null, ct).ConfigureAwait(false))
        {
            if (uids.Contains(c.PodUid)) continue;
            await Runtime.StopContainerAsync(c.Id, TimeSpan.Zero, ct).ConfigureAwait(false);
            await Runtime.RemoveContainerAsync(c.Id, ct).ConfigureAwait(false);
            await Runtime.StopPodSandboxAsync(c.PodUid, ct).ConfigureAwait(false);
        }
        foreach (var uid in await Runtime.ListPodSandboxesAsync(ct).ConfigureAwait(false))
            if (!uids.Contains(uid)) await Runtime.StopPodSandboxAsync(uid, ct).ConfigureAwait(false);
        foreach (var uid in Volumes.PodUidsOnDisk())
        {
            if (uids.Contains(uid)) continue;
            try { Volumes.TearDown(uid); }
            catch (IOException e) { _log.LogWarning("removing volumes failed uid={Uid} error={Error}", uid, e.Message); }
        }
    }

    /// <summary>The kubelet's well-known labels (GOARCH names for the architecture) plus the configured ones.</summary>
    private JsonObject NodeLabels()
    {
        var arch = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
            System.Runtime.InteropServices.Architecture.X86 => "386",
            _ => "amd64",
        };
        var labels = new JsonObject
        {
            ["beta.kubernetes.io/arch"] = arch,
            ["beta.kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = arch,
            ["kubernetes.io/hostname"] = NodeName,
            ["kubernetes.io/os"] = "linux",
        };
        foreach (var (k, v) in _options.Labels) labels[k] = v;
        return labels;
    }

    private JsonObject NodeStatus(DateTimeOffset now, JsonArray? oldConditions)
    {
        string Since(string type, string status)
        {
            var prev = FindCondition(oldConditions, type);
            return prev != null && (string?)prev["status"] == status && prev["lastTransitionTime"] is { } t ? (string)t! : ObjectMeta.FormatTime(now);
        }
        JsonObject Condition(string type, string status, string reason, string message) => new()
        {
            ["type"] = type,
            ["status"] = status,
            ["lastHeartbeatTime"] = ObjectMeta.FormatTime(now),
            ["lastTransitionTime"] = Since(type, status),
            ["reason"] = reason,
            ["message"] = message,
        };
        var (cpu, memKi) = HostResources();
        var capacity = new JsonObject
        {
            ["cpu"] = cpu.ToString(CultureInfo.InvariantCulture),
            ["ephemeral-storage"] = "0",
            ["memory"] = $"{memKi}Ki",
            ["pods"] = "110",
        };
        var (rtName, rtVersion) = Runtime.Version;
        return new JsonObject
        {
            ["capacity"] = capacity,
            ["allocatable"] = capacity.DeepClone(),
            ["conditions"] = new JsonArray(
                Condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                Condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                Condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status")),
            ["addresses"] = new JsonArray(
                new JsonObject { ["type"] = "InternalIP", ["address"] = HostIP },
                new JsonObject { ["type"] = "Hostname", ["address"] = NodeName }),
            ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = KubeletPort } },
            ["nodeInfo"] = new JsonObject
            {
                ["architecture"] = "amd64",
                ["bootID"] = Read("/proc/sys/kernel/random/boot_id").Trim(),
                ["containerRuntimeVersion"] = $"{rtName}://{rtVersion}",
                ["kernelVersion"] = Read("/proc/sys/kernel/osrelease").Trim(),
                ["kubeProxyVersion"] = "",
                ["kubeletVersion"] = KubeletVersion,
                ["machineID"] = Read("/etc/machine-id").Trim(),
                ["operatingSystem"] = "linux",
                ["osImage"] = OsImage(),
                ["systemUUID"] = "",
            },
        };
    }

    private static string Read(string path)
    {
        try { return File.ReadAllText(path); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; }
    }

    private static string OsImage()
    {
        foreach (var line in Read("/etc/os-release").Split('\n'))
            if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)) return line[12..].Trim('"');
        return "Linux";
    }

    private static (int Cpu, long MemKi) HostResources()
    {
        long mem = 0;
        foreach (var line in Read("/proc/meminfo").Split('\n'))
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                long.TryParse(line[9..].Replace("kB", "", StringComparison.Ordinal).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out mem);
        return (Environment.ProcessorCount, mem);
    }

    private async Task RegisterAsync(CancellationToken ct)
    {
        var node = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject
            {
                ["name"] = NodeName,
                ["labels"] = NodeLabels(),
                ["annotations"] = new JsonObject { ["node.alpha.kubernetes.io/ttl"] = "0" },
            },
            ["spec"] = new JsonObject(),
        };
        while (true)
        {
            try
            {
                try { await Client.CreateAsync(Nodes, "", node, ct).ConfigureAwait(false); }
                catch (ApiException e) when (e.IsAlreadyExists) { }
                var (before, after) = await UpdateNodeStatusAsync(ct).ConfigureAwait(false);
                RecordStartEvents(before, after);
                return;
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or IOException)
            {
                _log.LogWarning("node registration failed node={Node} error={Error}", NodeName, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The kubelet's events at start: Starting and NodeAllocatableEnforced each time, and a condition's event when its
    /// status changed, named after its reason (KubeletHasSufficientMemory → NodeHasSufficientMemory, KubeletReady →
    /// NodeReady). The kubelet names its node with the name as uid, which <c>kubectl describe node</c> looks for besides
    /// the node's own uid.
    /// </summary>
    private void RecordStartEvents(JsonArray? before, JsonArray after)
    {
        var node = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = NodeName, ["uid"] = NodeName } };
        Events.Event(node, EventRecorder.Normal, "Starting", "Starting kubelet.");
        Events.Event(node, EventRecorder.Normal, "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods");
        foreach (var now in after.OfType<JsonObject>())
        {
            if ((string?)FindCondition(before, (string?)now["type"] ?? "")?["status"] == (string?)now["status"]) continue;
            var reason = "Node" + ((string?)now["reason"] ?? "").Replace("Kubelet", "", StringComparison.Ordinal);
            Events.Event(node, EventRecorder.Normal, reason, $"Node {NodeName} status is now: {reason}");
        }
    }

    /// <summary>Writes the node's status; returns the conditions it replaced and the ones it wrote.</summary>
    private async Task<(JsonArray? Before, JsonArray After)> UpdateNodeStatusAsync(CancellationToken ct)
    {
        var current = await Client.GetAsync(Nodes, "", NodeName, ct).ConfigureAwait(false);
        var before = current["status"]?["conditions"] as JsonArray;
        var status = NodeStatus(DateTimeOffset.UtcNow, before);
        await Client.PatchAsync(Nodes, "", NodeName, new JsonObject { ["status"] = status }, subresource: "status", ct: ct).ConfigureAwait(false);
        return (before, (JsonArray)status["conditions"]!);
    }

    private static JsonObject? FindCondition(JsonArray? conditions, string type) =>
        (conditions ?? []).OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await RenewLeaseAsync(ct).ConfigureAwait(false);
                await UpdateNodeStatusAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or IOException or InvalidOperationException)
            {
                _log.LogWarning("node heartbeat failed node={Node} error={Error}", NodeName, e.Message);
            }
            try { await Task.Delay(_options.RenewInterval, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task RenewLeaseAsync(CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        var spec = new JsonObject
        {
            ["holderIdentity"] = NodeName,
            ["leaseDurationSeconds"] = (int)_options.LeaseDuration.TotalSeconds,
            ["renewTime"] = now,
        };
        try
        {
            await Client.PatchAsync(Leases, "kube-node-lease", NodeName, new JsonObject { ["spec"] = spec }, ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            var node = await Client.GetAsync(Nodes, "", NodeName, ct).ConfigureAwait(false);
            await Client.CreateAsync(Leases, "kube-node-lease", new JsonObject
            {
                ["apiVersion"] = "coordination.k8s.io/v1",
                ["kind"] = "Lease",
                ["metadata"] = new JsonObject
                {
                    ["name"] = NodeName,
                    ["ownerReferences"] = new JsonArray(new JsonObject
                    {
                        ["apiVersion"] = "v1", ["kind"] = "Node", ["name"] = NodeName, ["uid"] = ObjectMeta.Uid(node),
                    }),
                },
                ["spec"] = spec.DeepClone(),
            }, ct).ConfigureAwait(false);
        }
    }
}
