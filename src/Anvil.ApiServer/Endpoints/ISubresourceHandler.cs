namespace Anvil.ApiServer.Endpoints;

/// <summary>
/// Serves POST on a subresource that is not a stored object of its own (serviceaccounts/token, later
/// pods/eviction and pods/binding): the handler gets the decoded body and answers with an object.
/// Registered in <see cref="SubresourceHandlers"/>; authorization has already run.
/// </summary>
public interface ISubresourceHandler
{
    Task<SubresourceResult> CreateAsync(SubresourceRequest request, CancellationToken ct);
}
