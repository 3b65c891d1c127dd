using System.Text.RegularExpressions;

namespace Anvil.Node.Images;

/// <summary>
/// A parsed image reference (distribution/reference grammar): registry host, repository path, tag (default
/// <c>latest</c>) and optional digest. The first path component is a registry when it has a dot or a colon or is
/// <c>localhost</c>; without one the registry is <c>docker.io</c> (and one-component names are under
/// <c>library/</c>). The local store answers for <c>anvil.local</c> and, since no registry is reachable, for
/// Docker Hub names too.
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string Tag, string? Digest)
{
    /// <summary>The registry name of Anvil's own image store.</summary>
    public const string LocalRegistry = "anvil.local";
    public const string DockerHub = "docker.io";

    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$")]
    private static partial Regex PathComponent();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex("^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]+$")]
    private static partial Regex DigestPattern();

    /// <summary>The name in the local store (<c>busybox</c>, <c>toolforge/python</c>), or null for other registries.</summary>
    public string? LocalName => Registry switch
    {
        LocalRegistry => Repository,
        DockerHub => Repository.StartsWith("library/", StringComparison.Ordinal) ? Repository[8..] : Repository,
        _ => null,
    };

    /// <summary><c>anvil.local/&lt;name&gt;:&lt;tag&gt;</c> for references the local store answers.</summary>
    public string? Canonical => LocalName is { } n ? $"{LocalRegistry}/{n}:{Tag}" : null;

    public static ImageReference Parse(string text) =>
        TryParse(text, out var r, out var error) ? r! : throw new FormatException(error);

    public static bool TryParse(string text, out ImageReference? reference, out string error)
    {
        reference = null;
        error = "";
        var rest = text.Trim();
        if (rest.Length == 0 || rest.Length > 255)
        {
            error = $"invalid reference format: \"{text}\"";
            return false;
        }
        string? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!DigestPattern().IsMatch(digest))
            {
                error = $"invalid reference format: invalid digest \"{digest}\"";
                return false;
            }
        }
        var tag = "latest";
        var lastSlash = rest.LastIndexOf('/');
        var colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagPattern().IsMatch(tag))
            {
                error = $"invalid reference format: invalid tag \"{tag}\"";
                return false;
            }
        }
        var registry = DockerHub;
        var slash = rest.IndexOf('/');
        if (slash > 0)
        {
            var first = rest[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost")
            {
                registry = first == "index.docker.io" ? DockerHub : first;
                rest = rest[(slash + 1)..];
            }
        }
        var components = rest.Split('/');
        if (rest.Length == 0 || components.Any(c => !PathComponent().IsMatch(c)))
        {
            error = $"invalid reference format: repository name \"{rest}\" must be lowercase letters, digits and separators";
            return false;
        }
        if (registry == DockerHub && components.Length == 1) rest = "library/" + rest;
        reference = new ImageReference(registry, rest, tag, digest);
        return true;
    }
}
