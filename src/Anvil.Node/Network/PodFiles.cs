using System.Text;

namespace Anvil.Node.Network;

/// <summary>The /etc/hosts and /etc/resolv.conf the kubelet writes for a pod on the pod network.</summary>
public static class PodFiles
{
    public static string Hosts(string podIP, string hostname)
    {
        var sb = new StringBuilder();
        sb.Append("# Kubernetes-managed hosts file.\n");
        sb.Append("127.0.0.1\tlocalhost\n");
        sb.Append("::1\tlocalhost ip6-localhost ip6-loopback\n");
        sb.Append("fe00::0\tip6-localnet\n");
        sb.Append("fe00::0\tip6-mcastprefix\n");
        sb.Append("fe00::1\tip6-allnodes\n");
        sb.Append("fe00::2\tip6-allrouters\n");
        if (podIP.Length > 0) sb.Append(podIP).Append('\t').Append(hostname).Append('\n');
        return sb.ToString();
    }

    /// <summary>The host's nameservers that a pod can reach (loopback ones cannot be), the cluster search path, ndots:5.</summary>
    public static string ResolvConf(string hostResolvConf, string podNamespace)
    {
        var sb = new StringBuilder();
        foreach (var line in hostResolvConf.Split('\n'))
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[0] != "nameserver") continue;
            if (fields[1].StartsWith("127.", StringComparison.Ordinal) || fields[1] == "::1") continue;
            sb.Append("nameserver ").Append(fields[1]).Append('\n');
        }
        sb.Append("search ").Append(podNamespace).Append(".svc.cluster.local svc.cluster.local cluster.local\n");
        sb.Append("options ndots:5\n");
        return sb.ToString();
    }
}
