using System.Text.RegularExpressions;

namespace Anvil.Toolforge.Accounts;

/// <summary>
/// maintain-kubeusers' account name filter: <c>^[a-z0-9]([-a-z0-9]*[a-z0-9])?$</c> and shorter than 54 characters
/// (so that <c>tool-&lt;name&gt;</c> and the derived object names stay valid DNS labels).
/// </summary>
public static partial class ToolNames
{
    public const int MaxLength = 53;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>Null when <paramref name="name"/> is a valid tool or user name, else why not.</summary>
    public static string? Validate(string name)
    {
        if (name.Length == 0) return "a name is required";
        if (name.Length > MaxLength) return $"invalid name \"{name}\": must be shorter than {MaxLength + 1} characters";
        if (!Pattern().IsMatch(name))
            return $"invalid name \"{name}\": must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
        return null;
    }

    public static string Namespace(string tool) => "tool-" + tool;

    /// <summary>The tool a namespace belongs to, or null for other namespaces.</summary>
    public static string? ToolOfNamespace(string ns) => ns.StartsWith("tool-", StringComparison.Ordinal) && ns.Length > 5 ? ns[5..] : null;
}
