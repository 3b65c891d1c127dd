namespace Anvil.ApiServer.Endpoints;

/// <summary>
/// The read-only computed resources by (group, resource). Filled at startup before requests are served; read
/// without locks afterwards. The resource must also be in the catalog (discovery) with verbs ["get", "list"].
/// </summary>
public sealed class VirtualReadHandlers
{
    private readonly Dictionary<(string Group, string Resource), IVirtualReadHandler> _handlers = new();

    public void Add(string group, string resource, IVirtualReadHandler handler) => _handlers.Add((group, resource), handler);

    public IVirtualReadHandler? Find(string group, string resource) => _handlers.GetValueOrDefault((group, resource));
}
