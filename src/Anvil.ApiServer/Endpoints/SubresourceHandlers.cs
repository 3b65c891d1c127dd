namespace Anvil.ApiServer.Endpoints;

/// <summary>
/// The POST subresource handlers by (group, resource, subresource). Filled at startup before requests are
/// served; read without locks afterwards.
/// </summary>
public sealed class SubresourceHandlers
{
    private readonly Dictionary<(string Group, string Resource, string Subresource), ISubresourceHandler> _handlers = new();

    public void Add(string group, string resource, string subresource, ISubresourceHandler handler) =>
        _handlers.Add((group, resource, subresource), handler);

    public ISubresourceHandler? Find(string group, string resource, string subresource) =>
        _handlers.GetValueOrDefault((group, resource, subresource));
}
