using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;

namespace Anvil.Node.Volumes;

/// <summary>
/// The kubelet's volume manager for one node: each pod's volumes live under
/// <c>&lt;data-dir&gt;/pods/&lt;uid&gt;/volumes/&lt;plugin&gt;/&lt;name&gt;</c> (plugins named as the kubelet's,
/// <c>kubernetes.io~configmap</c> ...). <see cref="SetUpAsync"/> creates them before containers start and refreshes
/// API-data volumes when their objects change (every <see cref="RefreshInterval"/>) and tokens at 80% of their
/// lifetime; <see cref="TearDown"/> unmounts and removes them when the pod goes.
/// </summary>
public sealed class PodVolumeManager
{
    public const string EmptyDirPlugin = "kubernetes.io~empty-dir";
    public const string ConfigMapPlugin = "kubernetes.io~configmap";
    public const string SecretPlugin = "kubernetes.io~secret";
    public const string DownwardApiPlugin = "kubernetes.io~downward-api";
    public const string ProjectedPlugin = "kubernetes.io~projected";

    private readonly IPodObjectSource _source;
    private readonly NodeAllocatable _node;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, PodState> _pods = new();

    private sealed class PodState
    {
        public DateTimeOffset LastSync;
        public PodVolumes? Result;
        public string ResourceVersion = "";
        public readonly Dictionary<string, ServiceAccountToken> Tokens = [];
    }

    public PodVolumeManager(string dataDir, IPodObjectSource source, NodeAllocatable? node = null, TimeProvider? time = null)
    {
        PodsDir = Path.Combine(dataDir, "pods");
        _source = source;
        _node = node ?? NodeAllocatable.Host();
        _time = time ?? TimeProvider.System;
    }

    public string PodsDir { get; }

    /// <summary>Where configmaps, secrets and tokens come from (also for env).</summary>
    public IPodObjectSource Source => _source;

    public NodeAllocatable Node => _node;

    /// <summary>How often configMap, secret and downwardAPI contents are compared with the API again.</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(10);

    public string PodDir(string uid) => Path.Combine(PodsDir, uid);

    public string VolumeDir(string uid, string plugin, string name) => Path.Combine(PodDir(uid), "volumes", plugin, name);

    /// <summary>Pod uids that have a directory here (to remove those of pods gone while the agent was down).</summary>
    public IReadOnlyList<string> PodUidsOnDisk() =>
        Directory.Exists(PodsDir) ? new DirectoryInfo(PodsDir).EnumerateDirectories().Select(d => d.Name).ToList() : [];

    /// <summary>
    /// Sets up (or refreshes) every volume of the pod; returns where each one is and which failed. Cheap when
    /// nothing is due: the previous answer is returned.
    /// </summary>
    public async Task<PodVolumes> SetUpAsync(JsonObject pod, string hostIP, IReadOnlyList<string> podIPs, CancellationToken ct)
    {
        var uid = ObjectMeta.Uid(pod);
        var state = _pods.GetOrAdd(uid, _ => new PodState());
        var now = _time.GetUtcNow();
        if (state.Result is { Ready: true } cached && now - state.LastSync < RefreshInterval
            && state.ResourceVersion == ObjectMeta.ResourceVersion(pod) && !state.Tokens.Values.Any(t => t.NeedsRefresh(now)))
            return cached;

        var ns = ObjectMeta.Namespace(pod);
        var fsGroup = pod["spec"]?["securityContext"]?["fsGroup"] is JsonValue g && g.TryGetValue<long>(out var gid) ? gid : (long?)null;
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        var readOnly = new HashSet<string>(StringComparer.Ordinal);
        var errors = new List<string>();
        var configMaps = new Dictionary<string, JsonObject?>(StringComparer.Ordinal);
        var secrets = new Dictionary<string, JsonObject?>(StringComparer.Ordinal);
        async Task<JsonObject?> ConfigMap(string name) =>
            configMaps.TryGetValue(name, out var c) ? c : configMaps[name] = await _source.GetConfigMapAsync(ns, name, ct).ConfigureAwait(false);
        async Task<JsonObject?> Secret(string name) =>
            secrets.TryGetValue(name, out var s) ? s : secrets[name] = await _source.GetSecretAsync(ns, name, ct).ConfigureAwait(false);

        foreach (var v in (pod["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = Str(v["name"]);
            try
            {
                if (v["emptyDir"] is JsonObject emptyDir)
                {
                    paths[name] = SetUpEmptyDir(VolumeDir(uid, EmptyDirPlugin, name), emptyDir, fsGroup);
                }
                else if (v["hostPath"] is JsonObject hostPath)
                {
                    var path = Str(hostPath["path"]);
                    if (HostPathCheck.Check(path, Str(hostPath["type"])) is { } why) throw new VolumeSetupException(why);
                    paths[name] = path;
                }
                else if (v["configMap"] is JsonObject cm)
                {
                    var payload = Payloads.ConfigMap(await ConfigMap(Str(cm["name"])).ConfigureAwait(false), cm);
                    paths[name] = Write(VolumeDir(uid, ConfigMapPlugin, name), payload, fsGroup);
                    readOnly.Add(name);
                }
                else if (v["secret"] is JsonObject secret)
                {
                    var payload = Payloads.Secret(await Secret(Str(secret["secretName"])).ConfigureAwait(false), secret);
                    paths[name] = Write(VolumeDir(uid, SecretPlugin, name), payload, fsGroup);
                    readOnly.Add(name);
                }
                else if (v["downwardAPI"] is JsonObject downward)
                {
                    var payload = Payloads.DownwardApi(pod, downward, hostIP, podIPs, _node);
                    paths[name] = Write(VolumeDir(uid, DownwardApiPlugin, name), payload, fsGroup);
                    readOnly.Add(name);
                }
                else if (v["projected"] is JsonObject projected)
                {
                    var payload = await Payloads.ProjectedAsync(pod, projected, ConfigMap, Secret,
                        (audience, seconds) => TokenAsync(state, pod, name, audience, seconds, ct), hostIP, podIPs, _node).ConfigureAwait(false);
                    paths[name] = Write(VolumeDir(uid, ProjectedPlugin, name), payload, fsGroup);
                    readOnly.Add(name);
                }
                else
                {
                    var kind = v.Select(p => p.Key).FirstOrDefault(k => k != "name") ?? "";
                    throw new VolumeSetupException($"volume type {kind} is not supported by this node");
                }
            }
            catch (VolumeSetupException e)
            {
                errors.Add($"MountVolume.SetUp failed for volume {GoQuote.Quote(name)} : {e.Message}");
            }
            catch (ArgumentException e)
            {
                errors.Add($"MountVolume.SetUp failed for volume {GoQuote.Quote(name)} : {e.Message}");
            }
        }
        var result = new PodVolumes(paths, readOnly, errors);
        state.Result = result;
        state.LastSync = now;
        state.ResourceVersion = ObjectMeta.ResourceVersion(pod);
        return result;
    }

    private async Task<string> TokenAsync(PodState state, JsonObject pod, string volume, string audience, long seconds, CancellationToken ct)
    {
        var key = volume + "\n" + audience + "\n" + seconds.ToString(CultureInfo.InvariantCulture);
        var now = _time.GetUtcNow();
        if (state.Tokens.TryGetValue(key, out var t) && !t.NeedsRefresh(now)) return t.Token;
        var sa = Str(pod["spec"]?["serviceAccountName"]) is { Length: > 0 } n ? n : "default";
        try
        {
            t = await _source.RequestTokenAsync(pod, sa, audience, seconds, ct).ConfigureAwait(false);
        }
        catch (Anvil.Client.ApiException e)
        {
            // A token that is still valid keeps serving while the refresh fails.
            if (state.Tokens.TryGetValue(key, out var old) && old.ExpiresAt > now) return old.Token;
            throw new VolumeSetupException($"failed to fetch token: {e.Message}");
        }
        state.Tokens[key] = t;
        return t.Token;
    }

    private static string Write(string dir, Dictionary<string, FileProjection> payload, long? fsGroup)
    {
        var created = !Directory.Exists(dir);
        Directory.CreateDirectory(dir);
        if (created) File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("777", 8) & ~(UnixFileMode.OtherWrite | UnixFileMode.GroupWrite));
        AtomicWriter.Write(dir, payload, fsGroup);
        if (created && fsGroup is { } g) Posix.SetGroup(dir, g);
        return dir;
    }

    private static string SetUpEmptyDir(string dir, JsonObject emptyDir, long? fsGroup)
    {
        if (Directory.Exists(dir)) return dir;
        Directory.CreateDirectory(dir);
        if (Str(emptyDir["medium"]) == "Memory" && !Posix.IsMountPoint(dir))
        {
            var options = "mode=0777";
            if (QuantityValidation.TryParse(QuantityValidation.Text(emptyDir["sizeLimit"]), out var size, out _) && size > 0)
                options += ",size=" + ((long)Math.Ceiling(size)).ToString(CultureInfo.InvariantCulture);
            if (Runtime.Mounts.Mount("tmpfs", dir, "tmpfs", 0, options) is { } error) throw new VolumeSetupException($"mount failed: {error}");
        }
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("777", 8));
        if (fsGroup is { } g) Ownership.Apply(dir, g, readOnly: false);
        return dir;
    }

    /// <summary>Unmounts what the pod's volumes mounted and removes its directory.</summary>
    public void TearDown(string uid)
    {
        _pods.TryRemove(uid, out _);
        var dir = PodDir(uid);
        if (!Directory.Exists(dir)) return;
        var emptyDirs = Path.Combine(dir, "volumes", EmptyDirPlugin);
        if (Directory.Exists(emptyDirs))
            foreach (var d in Directory.EnumerateDirectories(emptyDirs))
                if (Posix.IsMountPoint(d)) Runtime.Mounts.Unmount(d);
        // Never delete through a mount that would not go away.
        foreach (var d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories))
            if (Posix.IsMountPoint(d)) throw new IOException($"{d} is still mounted");
        Directory.Delete(dir, true);
    }

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
