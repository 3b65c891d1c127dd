using System.Text;
using Anvil.Client;
using YamlDotNet.RepresentationModel;

namespace Anvil.Cli;

/// <summary>
/// A <see cref="KubeClient"/> from a kubeconfig's current context (client certificate authentication, embedded
/// data or file paths relative to the kubeconfig). Which file: <c>--kubeconfig</c>, else <c>$KUBECONFIG</c> (its
/// first entry), else <c>&lt;data-dir&gt;/admin.kubeconfig</c>.
/// </summary>
internal static class KubeconfigClient
{
    public static string Resolve(string? flag, string dataDir)
    {
        if (!string.IsNullOrEmpty(flag)) return Path.GetFullPath(flag);
        var env = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env.Split(':')[0]);
        return Path.Combine(dataDir, "admin.kubeconfig");
    }

    /// <exception cref="FormatException">The file is missing, unreadable or not usable by Anvil's client.</exception>
    public static KubeClient Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot read kubeconfig {path}: {e.Message}");
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new FormatException($"kubeconfig {path}: {e.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) throw new FormatException($"kubeconfig {path} is empty");
        var contextName = Scalar(root, "current-context") ?? throw new FormatException($"kubeconfig {path} has no current-context");
        var context = Named(root, "contexts", contextName, "context") ?? throw new FormatException($"kubeconfig {path}: context \"{contextName}\" not found");
        var cluster = Named(root, "clusters", Scalar(context, "cluster") ?? "", "cluster") ?? throw new FormatException($"kubeconfig {path}: cluster of context \"{contextName}\" not found");
        var user = Named(root, "users", Scalar(context, "user") ?? "", "user") ?? throw new FormatException($"kubeconfig {path}: user of context \"{contextName}\" not found");
        var dir = Path.GetDirectoryName(path) ?? ".";
        var server = Scalar(cluster, "server") ?? throw new FormatException($"kubeconfig {path}: the cluster has no server");
        var ca = Data(cluster, "certificate-authority", dir) ?? throw new FormatException($"kubeconfig {path}: the cluster has no certificate authority");
        var cert = Data(user, "client-certificate", dir) ?? throw new FormatException($"kubeconfig {path}: the user has no client certificate (only client certificates are supported)");
        var key = Data(user, "client-key", dir) ?? throw new FormatException($"kubeconfig {path}: the user has no client key");
        return KubeClient.FromPem(new Uri(server), ca, cert, key, "anvil-admin");
    }

    private static string? Data(YamlMappingNode map, string key, string dir)
    {
        if (Scalar(map, key + "-data") is { } b64) return Encoding.UTF8.GetString(Convert.FromBase64String(b64));
        if (Scalar(map, key) is { } file) return File.ReadAllText(Path.IsPathRooted(file) ? file : Path.Combine(dir, file));
        return null;
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static YamlMappingNode? Named(YamlMappingNode root, string list, string name, string inner)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode(list), out var node) || node is not YamlSequenceNode seq) return null;
        foreach (var item in seq.Children.OfType<YamlMappingNode>())
            if (Scalar(item, "name") == name && item.Children.TryGetValue(new YamlScalarNode(inner), out var v) && v is YamlMappingNode m) return m;
        return null;
    }
}
