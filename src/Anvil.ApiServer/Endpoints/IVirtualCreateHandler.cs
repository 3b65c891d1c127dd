using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Endpoints;

/// <summary>
/// Serves a create-only resource that is never stored (TokenReview, SelfSubjectReview): POST gets the decoded,
/// validated body and returns the object to answer with (201); every other verb is 405.
/// Registered in <see cref="VirtualCreateHandlers"/>; authorization has already run.
/// </summary>
public interface IVirtualCreateHandler
{
    Task<JsonObject> CreateAsync(VirtualCreateRequest request, CancellationToken ct);
}
