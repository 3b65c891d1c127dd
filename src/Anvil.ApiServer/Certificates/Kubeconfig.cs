using System.Text;

namespace Anvil.ApiServer.Certificates;

/// <summary>Writes kubeconfig files with embedded certificate data.</summary>
public static class Kubeconfig
{
    public static string Build(string server, string caPem, string user, string certPem, string keyPem, string clusterName = "anvil", string? ns = null)
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
        var sb = new StringBuilder();
        sb.AppendLine("apiVersion: v1");
        sb.AppendLine("kind: Config");
        sb.AppendLine("clusters:");
        sb.AppendLine("- name: " + clusterName);
        sb.AppendLine("  cluster:");
        sb.AppendLine("    server: " + server);
        sb.AppendLine("    certificate-authority-data: " + B64(caPem));
        sb.AppendLine("users:");
        sb.AppendLine("- name: " + user);
        sb.AppendLine("  user:");
        sb.AppendLine("    client-certificate-data: " + B64(certPem));
        sb.AppendLine("    client-key-data: " + B64(keyPem));
        sb.AppendLine("contexts:");
        sb.AppendLine($"- name: {user}@{clusterName}");
        sb.AppendLine("  context:");
        sb.AppendLine("    cluster: " + clusterName);
        sb.AppendLine("    user: " + user);
        if (ns != null) sb.AppendLine("    namespace: " + ns);
        sb.AppendLine($"current-context: {user}@{clusterName}");
        return sb.ToString();
    }
}
