using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Anvil.ApiServer;
using Anvil.ApiServer.Admission;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;
using Anvil.Toolforge.Accounts;

namespace Anvil.Toolforge.Policy;

/// <summary>
/// Reads the namespace and the Tool object from the API server's own store (no HTTP round trip, no
/// RBAC: admission runs as the server). One answer per request object, shared by every plugin and by
/// both admission phases, so a pod costs two reads however many policies look at it.
/// </summary>
internal sealed class StoreToolResolver(ApiServerHost host) : IToolResolver
{
    private readonly ConditionalWeakTable<JsonObject, Task<ToolScope?>> _perRequest = new();

    public ValueTask<ToolScope?> ResolveAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (a.Namespace.Length == 0) return ValueTask.FromResult<ToolScope?>(null);
        if (a.Object == null) return new(ReadAsync(a.Namespace, ct));
        return new(_perRequest.GetValue(a.Object, _ => ReadAsync(a.Namespace, ct)));
    }

    private async Task<ToolScope?> ReadAsync(string ns, CancellationToken ct)
    {
        if (host.Catalog.Find("", "v1", "namespaces") is not { } namespaces) return null;
        var got = await host.Resources.TryGetAsync(namespaces, "", ns, ct).ConfigureAwait(false);
        if (got == null) return null;
        if (JsonRead.Str(ObjectMeta.Labels(got.Value.Object)?[ToolScope.TenancyLabel]) != ToolScope.TenancyTool) return null;
        if (!ToolScope.IsToolNamespaceName(ns)) return ToolScope.Misnamed(ns);
        var name = ns[ToolScope.NamespacePrefix.Length..];
        // The CRD may not be installed yet: then no tool exists.
        if (host.Catalog.Find(ToolforgeCrds.Group, ToolforgeCrds.Version, "tools") is not { } tools) return ToolScope.WithoutTool(ns);
        var tool = await host.Resources.TryGetAsync(tools, "", name, ct).ConfigureAwait(false);
        if (tool == null) return ToolScope.WithoutTool(ns);
        var spec = tool.Value.Object["spec"];
        if (JsonRead.Int(spec?["uid"]) is not { } uid || JsonRead.Int(spec?["gid"]) is not { } gid) return ToolScope.WithoutTool(ns);
        return ToolScope.Usable(ns, uid, gid, JsonRead.Bool(spec?["disabled"]) == true);
    }
}
