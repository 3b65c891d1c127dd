namespace Anvil.Toolforge;

/// <summary>Toolforge settings of <c>anvil up</c> (<c>--homes</c>, <c>--users-home</c>, <c>--domain</c>), shared by the
/// tool-accounts controller and the tool policy admission.</summary>
public sealed record ToolforgeOptions
{
    /// <summary>Tool homes: <c>&lt;Homes&gt;/&lt;tool&gt;</c>, mounted in tool pods at <c>/data/project/&lt;tool&gt;</c>.</summary>
    public string Homes { get; init; } = "/data/project";

    /// <summary>Human users' homes: <c>&lt;UsersHome&gt;/&lt;user&gt;/.kube/config</c>.</summary>
    public string UsersHome { get; init; } = "/home";

    /// <summary>Public domain of tool web services: <c>&lt;tool&gt;.&lt;Domain&gt;</c>.</summary>
    public string Domain { get; init; } = "localhost";

    /// <summary>Registries tool pods may pull from; <c>anvil.local</c> is Anvil's own image store.</summary>
    public IReadOnlyList<string> AllowedRegistries { get; init; } = ["anvil.local"];
}
