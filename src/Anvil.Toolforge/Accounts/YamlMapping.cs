using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Anvil.Toolforge.Accounts;

/// <summary>The top-level mapping of an admin-written YAML file (quota defaults, quota overrides).</summary>
internal static class YamlMapping
{
    /// <summary>Throws <see cref="FormatException"/> for invalid YAML or a document that is not a mapping, saying what was <paramref name="expected"/>.</summary>
    public static YamlMappingNode Load(string yaml, string expected)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FormatException($"invalid YAML: {e.Message}", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new FormatException("expected " + expected);
        return root;
    }
}
