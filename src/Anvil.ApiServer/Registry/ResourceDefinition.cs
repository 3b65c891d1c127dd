using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;
using Anvil.Machinery.Tables;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// Everything the generic REST path needs about one served resource: names for discovery, scope,
/// strategy, Table printer, schema and storage prefix. Built once at startup (or when a CRD is
/// established) and read without locks afterwards.
/// </summary>
public sealed class ResourceDefinition
{
    public required string Group { get; init; }
    public required string Version { get; init; }
    /// <summary>Plural resource name, e.g. "deployments".</summary>
    public required string Resource { get; init; }
    public required string Kind { get; init; }
    public required string Singular { get; init; }
    public required bool Namespaced { get; init; }
    public string ListKind => field ??= Kind + "List";
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    public IReadOnlyList<string> Verbs { get; init; } = StandardVerbs;
    public IReadOnlyList<SubresourceDefinition> Subresources { get; init; } = [];
    public required ResourceStrategy Strategy { get; init; }
    public required ITablePrinter Printer { get; init; }
    public SchemaNode? Schema { get; init; }
    /// <summary>True for custom resources: strategic merge patch is refused (415) as upstream.</summary>
    public bool IsCustom { get; init; }
    /// <summary>Field selectors beyond metadata.name/metadata.namespace.</summary>
    public IReadOnlyDictionary<string, Func<System.Text.Json.Nodes.JsonObject, string?>> FieldSelectors { get; init; } =
        new Dictionary<string, Func<System.Text.Json.Nodes.JsonObject, string?>>();

    /// <summary>The storage group segment: "core" for the legacy group, as kube-apiserver's etcd layout.</summary>
    // Made once (on every write's path, several times): the properties it is made of are init-only.
    public string KeyPrefix => field ??= $"/registry/{(Group.Length == 0 ? "core" : Group)}/{Resource}/";

    public GroupVersionKind Gvk => new(Group, Version, Kind);
    public GroupResource GroupResource => new(Group, Resource);
    public string ApiVersion => field ??= Group.Length == 0 ? Version : Group + "/" + Version;

    public bool HasSubresource(string name) => Subresources.Any(s => s.Name == name);

    public string Key(string ns, string name) => Namespaced ? $"{KeyPrefix}{ns}/{name}" : $"{KeyPrefix}{name}";

    /// <summary>The prefix to range over for a list in a namespace ("" = all namespaces).</summary>
    public string ListPrefix(string ns) => Namespaced && ns.Length > 0 ? $"{KeyPrefix}{ns}/" : KeyPrefix;

    public static readonly IReadOnlyList<string> StandardVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
}
