using System.Text;

namespace Anvil.Toolforge.Accounts;

/// <summary>
/// The kubeconfig maintain-kubeusers writes to <c>~/.kube/config</c>: cluster and context <c>toolforge</c>, user
/// <c>tf-&lt;name&gt;</c>, the tool's namespace. The certificate and key are embedded (one file, replaced atomically,
/// so a reader never pairs a new certificate with an old key); they are also written to <c>~/.toolskube</c>.
/// </summary>
public static class ToolKubeconfig
{
    public const string ClusterName = "toolforge";

    /// <param name="user">The kubeconfig's user entry: <c>tf-&lt;tool&gt;</c> for tools, the user's name for people.</param>
    public static string Render(string server, string caPem, string user, string certPem, string keyPem, string? ns)
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
        var sb = new StringBuilder();
        sb.Append("apiVersion: v1\n");
        sb.Append("kind: Config\n");
        sb.Append("clusters:\n");
        sb.Append("- cluster:\n");
        sb.Append("    certificate-authority-data: ").Append(B64(caPem)).Append('\n');
        sb.Append("    server: ").Append(server).Append('\n');
        sb.Append("  name: ").Append(ClusterName).Append('\n');
        sb.Append("contexts:\n");
        sb.Append("- context:\n");
        sb.Append("    cluster: ").Append(ClusterName).Append('\n');
        if (ns != null) sb.Append("    namespace: ").Append(ns).Append('\n');
        sb.Append("    user: ").Append(user).Append('\n');
        sb.Append("  name: ").Append(ClusterName).Append('\n');
        sb.Append("current-context: ").Append(ClusterName).Append('\n');
        sb.Append("preferences: {}\n");
        sb.Append("users:\n");
        sb.Append("- name: ").Append(user).Append('\n');
        sb.Append("  user:\n");
        sb.Append("    client-certificate-data: ").Append(B64(certPem)).Append('\n');
        sb.Append("    client-key-data: ").Append(B64(keyPem)).Append('\n');
        return sb.ToString();
    }
}
