namespace Anvil.Toolforge.Policy;

/// <summary>
/// A tool namespace (labelled <c>tenancy=tool</c>) as the tool policies see it: the tool's name (the namespace
/// minus <c>tool-</c>) and, from its Tool object, the uid and gid its pods run as. <see cref="Problem"/> says why
/// pods cannot run there (no Tool object, a namespace name without the prefix); null when the tool is usable.
/// </summary>
public sealed record ToolScope(string Namespace, string Tool, long? Uid, long? Gid, bool Disabled, string? Problem)
{
    public const string NamespacePrefix = "tool-";
    public const string TenancyLabel = "tenancy";
    public const string TenancyTool = "tool";

    /// <summary>Where a tool's home is mounted in its pods (Toolforge's path).</summary>
    public string DataDir => $"/data/project/{Tool}";

    public static ToolScope Usable(string ns, long uid, long gid, bool disabled = false) =>
        new(ns, ToolName(ns), uid, gid, disabled, null);

    public static ToolScope WithoutTool(string ns) =>
        new(ns, ToolName(ns), null, null, false, $"no Tool object tools.toolforge.org/{ToolName(ns)} for namespace {ns}");

    public static ToolScope Misnamed(string ns) =>
        new(ns, "", null, null, false, $"namespace {ns} is labelled {TenancyLabel}={TenancyTool} but its name does not start with \"{NamespacePrefix}\"");

    public static bool IsToolNamespaceName(string ns) => ns.StartsWith(NamespacePrefix, StringComparison.Ordinal) && ns.Length > NamespacePrefix.Length;

    private static string ToolName(string ns) => ns[NamespacePrefix.Length..];
}
