namespace Anvil.Cli;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        return args[0] switch
        {
            "up" => await UpCommand.RunAsync(args[1..]).ConfigureAwait(false),
            "admin" => await AdminCommand.RunAsync(args[1..]).ConfigureAwait(false),
            "become" => await BecomeCommand.RunAsync(args[1..]).ConfigureAwait(false),
            "images" => await ImagesCommand.RunAsync(args[1..]).ConfigureAwait(false),
            _ => Fail($"unknown command \"{args[0]}\"\n{Usage}"),
        };
    }

    internal static int Fail(string message)
    {
        Console.Error.WriteLine("anvil: " + message);
        return 2;
    }

    private const string Usage = """
        usage: anvil <command> [flags]

        commands:
          up      run the platform: API server with an embedded store, controllers and the node agent
                  --data-dir DIR   state, keys and kubeconfigs (default /var/lib/anvil as root, else ~/.local/share/anvil)
                  --port N         HTTPS port (default 6443)
                  --bind ADDR      address to listen on (default 127.0.0.1)
                  --no-node        do not run the node agent (no containers; pods bound to this host stay Pending)
                  --homes DIR      tool homes, <DIR>/<tool> (default /data/project)
                  --users-home DIR human users' homes for their kubeconfigs (default /home)
                  --domain D       tools' web domain, <tool>.<D> (default localhost)
                  --kubelet-port N the node agent's kubelet API port for exec/attach (default 10250)
                  --pod-cidr CIDR  pod addresses on the node's CNI bridge (default 10.88.0.0/16)
                  --network-prefix P
                                   names the node's netns, bridge and iptables chains (default anvil: anvil0, ANVIL-*)
                  --audit-log-path PATH          audit log (default <data-dir>/audit.log; - for stdout)
                  --audit-policy-file FILE       audit.k8s.io/v1 Policy (default: Metadata level for every request)
                  --audit-log-maxsize MB         rotate the audit log at this size (default 100; 0: never)
                  --audit-log-maxbackup N        rotated audit logs to keep (default 10; 0: all)
                  --audit-log-maxage DAYS        days to keep rotated audit logs (default 30; 0: forever)
                  --encryption-provider-config FILE
                                   EncryptionConfiguration for data at rest (default <data-dir>/encryption-config.yaml,
                                   created on first start: secrets encrypted with aescbc). SIGHUP re-reads it.
          admin rotate-encryption-key [--data-dir DIR] [--encryption-provider-config FILE]
                  add a new aescbc key first and re-encrypt every secret with it (old keys stay readable);
                  a running server is told with SIGHUP and re-encrypts itself
          admin tools create NAME [--maintainer USER]... [--uid N] [--gid N] | list | disable NAME | enable NAME
                      | delete NAME [--purge-home] | observer NAME
                  Toolforge tool accounts (namespace tool-NAME, home, kubeconfig, quota) kept by the tool-accounts controller
          admin users add NAME [--admin] [--uid N] | list | remove NAME
                  human users: a kubeconfig in <users-home>/NAME; admins may read everything but secrets and use kubectl sudo
          admin quotas apply -f FILE
                  per-tool quota overrides (maintain-kubeusers' format), each applied again only when its version changes
                  (admin commands take --kubeconfig FILE, else $KUBECONFIG, else <data-dir>/admin.kubeconfig)
          become TOOL [COMMAND...]
                  run $SHELL or COMMAND as the tool with its HOME and KUBECONFIG (root, or a maintainer through sudo)
          images list|import|build|remove [--data-dir DIR]
                  the node's local image store (registry anvil.local; pods use anvil.local/NAME:TAG or NAME:TAG)
                  list                          NAME TAG IMAGE ID SIZE CREATED
                  import NAME[:TAG] PATH        a rootfs directory, a rootfs tarball or an OCI image layout (dir or tar)
                  build -f RECIPE.yaml [--mirror URL]
                                                Debian minbase image with mmdebstrap (name, tag, packages, env,
                                                entrypoint, cmd, workingDir, user); mirror from /etc/apt/sources.list*
                  remove NAME[:TAG]...          files of images still used by containers stay until unused
        """;
}
