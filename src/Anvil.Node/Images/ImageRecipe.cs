using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Anvil.Node.Images;

/// <summary>
/// What <c>anvil images build -f</c> reads: a Debian bookworm minbase image with extra packages and an image
/// config. YAML fields: name, tag, packages, env (map), entrypoint, cmd, workingDir, user.
/// </summary>
public sealed record ImageRecipe(string Name, string Tag, IReadOnlyList<string> Packages, ImageConfig Config, string Suite = "bookworm")
{
    public static ImageRecipe Parse(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FormatException($"recipe: {e.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) throw new FormatException("recipe: expected a mapping");
        var known = new HashSet<string> { "name", "tag", "packages", "env", "entrypoint", "cmd", "workingDir", "user", "suite" };
        foreach (var key in root.Children.Keys.OfType<YamlScalarNode>())
            if (!known.Contains(key.Value ?? "")) throw new FormatException($"recipe: unknown field \"{key.Value}\"");
        string Scalar(string key, string dflt) => root.Children.TryGetValue(key, out var n)
            ? n is YamlScalarNode s ? s.Value ?? dflt : throw new FormatException($"recipe: {key} must be a string")
            : dflt;
        List<string> Strings(string key)
        {
            if (!root.Children.TryGetValue(key, out var n)) return [];
            if (n is YamlScalarNode { Value: null or "" }) return [];
            if (n is not YamlSequenceNode seq) throw new FormatException($"recipe: {key} must be a list of strings");
            return seq.Children.Select(c => c is YamlScalarNode s ? s.Value ?? "" : throw new FormatException($"recipe: {key} must be a list of strings")).ToList();
        }
        var name = Scalar("name", "");
        if (name.Length == 0) throw new FormatException("recipe: name is required");
        var reference = ImageReference.Parse(name + ":" + Scalar("tag", "latest"));
        if (reference.LocalName == null) throw new FormatException($"recipe: name \"{name}\" names another registry");
        var env = new List<string> { ImageConfig.DefaultPath };
        if (root.Children.TryGetValue("env", out var envNode))
        {
            if (envNode is not YamlMappingNode map) throw new FormatException("recipe: env must be a map of strings");
            foreach (var (k, v) in map.Children)
            {
                var key = ((YamlScalarNode)k).Value ?? "";
                var value = v is YamlScalarNode sv ? sv.Value ?? "" : throw new FormatException("recipe: env must be a map of strings");
                env.RemoveAll(e => e.StartsWith(key + "=", StringComparison.Ordinal));
                env.Add($"{key}={value}");
            }
        }
        var packages = Strings("packages");
        foreach (var p in packages)
            if (p.Length == 0 || p.StartsWith('-') || p.Any(c => char.IsWhiteSpace(c) || c == ','))
                throw new FormatException($"recipe: invalid package name \"{p}\"");
        var suite = Scalar("suite", "bookworm");
        return new ImageRecipe(reference.LocalName, reference.Tag, packages,
            new ImageConfig(env, Strings("entrypoint"), Strings("cmd"), Scalar("workingDir", ""), Scalar("user", "")), suite);
    }
}
