using System.Text.Json.Nodes;
using Anvil.Node.Runtime;

namespace Anvil.Node.Probes;

/// <summary>What a probe worker sees of its container on each tick: the latest pod, the container's spec and its latest runtime instance.</summary>
public sealed record ProbeSnapshot(JsonObject Pod, JsonObject Container, ContainerStatus? Latest);
