using Anvil.ApiServer;
using Anvil.ApiServer.Admission;

namespace Anvil.Toolforge.Policy;

/// <summary>Toolforge's tool policies as built-in admission plugins, for <c>ApiServerOptions.PlatformAdmission</c>.</summary>
public static class ToolforgePolicy
{
    /// <summary>
    /// The plugins in chain order. The chain runs every plugin's mutation before any validation, so the
    /// validating halves (pod policy, registries, ingress hosts, hostPaths) see the final object, volume and
    /// security context mutations included.
    /// </summary>
    public static IReadOnlyList<IAdmissionPlugin> Plugins(ApiServerHost host, ToolforgeOptions options) =>
        Plugins(new StoreToolResolver(host), options);

    public static IReadOnlyList<IAdmissionPlugin> Plugins(IToolResolver tools, ToolforgeOptions options) =>
    [
        new ToolVolumePolicy(tools, options),
        new ToolPodPolicy(tools),
        new ToolRegistryPolicy(tools, options),
        new ToolIngressPolicy(tools, options),
    ];
}
