using System.Text.Json.Nodes;

namespace Anvil.Node.Probes;

/// <summary>What a probe runs against: the pod (its status.podIP is the default host), the container's spec (named ports) and runtime id.</summary>
public sealed record ProbeTarget(JsonObject Pod, JsonObject Container, string ContainerId, string PodIP);
