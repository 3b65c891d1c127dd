namespace Anvil.ApiServer.Endpoints;

/// <summary>
/// The create-only resources by (group, resource). Filled at startup before requests are served; read without
/// locks afterwards. The resource must also be in the catalog (discovery) with verbs ["create"].
/// </summary>
public sealed class VirtualCreateHandlers
{
    private readonly Dictionary<(string Group, string Resource), IVirtualCreateHandler> _handlers = new();

    public void Add(string group, string resource, IVirtualCreateHandler handler) => _handlers.Add((group, resource), handler);

    public IVirtualCreateHandler? Find(string group, string resource) => _handlers.GetValueOrDefault((group, resource));
}
