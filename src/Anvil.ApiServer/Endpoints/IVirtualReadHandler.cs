using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Endpoints;

/// <summary>
/// Serves a read-only resource that is computed, never stored (metrics.k8s.io PodMetrics/NodeMetrics): get and
/// list answer with objects from code; every other verb is 405. Registered in <see cref="VirtualReadHandlers"/>;
/// authorization has already run. Errors are <see cref="Anvil.Machinery.Errors.StatusError"/>s.
/// </summary>
public interface IVirtualReadHandler
{
    Task<JsonObject> GetAsync(VirtualReadRequest request, CancellationToken ct);

    /// <summary>The items of the list, in the order to serve them.</summary>
    Task<IReadOnlyList<JsonObject>> ListAsync(VirtualReadRequest request, CancellationToken ct);
}
