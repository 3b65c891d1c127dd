using Anvil.ApiServer;
using Anvil.Client;
using Anvil.Toolforge;
using Anvil.Toolforge.Accounts;
using Microsoft.Extensions.Logging;

namespace Anvil.Cli;

/// <summary>
/// Toolforge's part of <c>anvil up</c>: installs the tools/users CRDs and Toolforge's ClusterRoles through the API
/// (as a system:masters bootstrap identity, like kube-apiserver's post-start hooks), writes the
/// <c>kubectl-sudo</c> plugin to <c>&lt;data-dir&gt;/bin</c>, and runs the tool-accounts controller as
/// <c>system:anvil:tool-accounts</c>.
/// </summary>
internal static class ToolforgeStartup
{
    public const string ControllerUser = "system:anvil:tool-accounts";

    public static async Task<Task> StartAsync(ApiServerHost server, string dataDir, ToolforgeOptions options, ILoggerFactory logs, CancellationToken ct)
    {
        var url = new Uri(server.ServerUrl);
        var (bootCert, bootKey) = server.Pki.IssueClientCertificate("system:anvil:bootstrap", ["system:masters"], TimeSpan.FromHours(1));
        using (var boot = KubeClient.FromPem(url, server.Pki.CaPem, bootCert, bootKey, "anvil-bootstrap"))
            await ToolforgeBootstrap.InstallAsync(boot, ct).ConfigureAwait(false);
        WriteKubectlSudo(dataDir);

        var (cert, key) = server.Pki.IssueClientCertificate(ControllerUser, [], TimeSpan.FromDays(365));
        var client = KubeClient.FromPem(url, server.Pki.CaPem, cert, key, "anvil-tool-accounts");
        var controller = new ToolAccountsController(client, new ToolAccountsOptions
        {
            Toolforge = options,
            Server = server.ServerUrl,
            CaPem = server.Pki.CaPem,
        }, logs.CreateLogger("tool-accounts"));
        return RunAsync(controller, client, ct);
    }

    private static async Task RunAsync(ToolAccountsController controller, KubeClient client, CancellationToken ct)
    {
        try
        {
            await controller.RunAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>
    /// <c>kubectl sudo</c> (Toolforge's kubectl-sudo, from postfinance/kubectl-sudo): impersonate yourself with the
    /// system:masters group. Only users bound to <c>k8s-admin</c> may impersonate; others get kubectl's Forbidden.
    /// </summary>
    internal static void WriteKubectlSudo(string dataDir)
    {
        var bin = Path.Combine(dataDir, "bin");
        Directory.CreateDirectory(bin);
        var path = Path.Combine(bin, "kubectl-sudo");
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, KubectlSudoScript);
        File.SetUnixFileMode(tmp, (UnixFileMode)0b111_101_101);
        File.Move(tmp, path, true);
    }

    internal const string KubectlSudoScript = """
        #!/bin/sh
        # kubectl sudo: run kubectl as yourself with the system:masters group (Toolforge admins; needs k8s-admin's impersonate).
        set -e
        USER_NAME=$(kubectl auth whoami -o jsonpath='{.status.userInfo.username}')
        if [ -z "$USER_NAME" ]; then echo "kubectl-sudo: cannot tell who the current kubeconfig authenticates as" >&2; exit 1; fi
        if [ "${KUBECTL_SUDO_PROMPT:-false}" = "true" ]; then
          printf 'Running kubectl as %s with group system:masters: kubectl %s\nContinue? [y/N] ' "$USER_NAME" "$*" >&2
          read -r answer
          case "$answer" in y|Y|yes) ;; *) exit 1 ;; esac
        fi
        exec kubectl --as="$USER_NAME" --as-group=system:masters "$@"

        """;
}
