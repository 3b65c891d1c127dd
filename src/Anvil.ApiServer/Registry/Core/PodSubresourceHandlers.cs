using Anvil.ApiServer.Endpoints;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>pods/binding and pods/eviction as subresource handlers: named creates that answer with a Status.</summary>
internal sealed class PodSubresourceHandler(Func<SubresourceRequest, CancellationToken, Task<System.Text.Json.Nodes.JsonObject>> create) : ISubresourceHandler
{
    public async Task<SubresourceResult> CreateAsync(SubresourceRequest request, CancellationToken ct)
    {
        var status = await create(request, ct).ConfigureAwait(false);
        return new SubresourceResult((int?)status["code"] ?? 201, status);
    }

    public static void Register(ApiHandler handler, ResourceStore store, ResourceCatalog catalog, TimeProvider time)
    {
        handler.Subresources.Add("", "pods", "binding", new PodSubresourceHandler((r, ct) =>
            new PodBindingRest(store, time).CreateAsync(r.Resource, r.Namespace, r.Name, r.Body, r.Options, ct)));
        handler.Subresources.Add("", "pods", "eviction", new PodSubresourceHandler((r, ct) =>
            new PodEvictionRest(store, catalog, time).CreateAsync(r.Resource, r.Namespace, r.Name, r.Body, r.Options, ct)));
    }
}
