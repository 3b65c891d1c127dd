using System.Text.Json.Nodes;
using Anvil.Node.Env;
using Anvil.Node.Images;
using Anvil.Node.Pods;
using Anvil.Node.Runtime;

namespace Anvil.Node.Volumes;

/// <summary>
/// What the pod worker calls around starting containers: volumes first (a failed one leaves every container in
/// ContainerCreating and posts a FailedMount event, as the kubelet does), then per container the environment and
/// mounts (a missing reference is a CreateContainerConfigError).
/// </summary>
internal sealed class PodVolumeHooks(NodeAgent agent)
{
    private string _lastFailure = "";

    public static IReadOnlyList<string> PodIPs(JsonObject pod, string hostIP)
    {
        var ips = (pod["status"]?["podIPs"] as JsonArray ?? []).Select(i => (string?)i?["ip"] ?? "").Where(i => i.Length > 0).ToList();
        if (ips.Count == 0 && (string?)pod["status"]?["podIP"] is { Length: > 0 } ip) ips.Add(ip);
        return ips.Count > 0 ? ips : [hostIP];
    }

    /// <summary>Sets up or refreshes the pod's volumes; reports a new failure as a FailedMount event.</summary>
    public async Task<PodVolumes> SetUpAsync(JsonObject pod, CancellationToken ct)
    {
        var volumes = await agent.Volumes.SetUpAsync(pod, agent.HostIP, PodIPs(pod, agent.HostIP), ct).ConfigureAwait(false);
        var failure = string.Join("\n", volumes.Errors);
        if (failure.Length > 0 && failure != _lastFailure)
        {
            foreach (var message in volumes.Errors) agent.Events.Event(pod, "Warning", "FailedMount", message);
        }
        _lastFailure = failure;
        return volumes;
    }

    /// <summary>The container's runtime config with env and mounts resolved; throws ContainerConfigException.</summary>
    public async Task<ContainerConfig> ConfigAsync(JsonObject pod, JsonObject spec, string rootfs, int attempt, ImageConfig? image, PodVolumes volumes, CancellationToken ct)
    {
        var services = await agent.Services.ListAsync(ct).ConfigureAwait(false);
        var env = await EnvResolver.ResolveAsync(pod, spec, agent.Volumes.Source, agent.HostIP, PodIPs(pod, agent.HostIP), agent.Volumes.Node, ct, services).ConfigureAwait(false);
        var mounts = MountBuilder.For(spec, volumes, env.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
        return ContainerConfigs.From(pod, spec, rootfs, attempt, image, env, mounts);
    }
}
