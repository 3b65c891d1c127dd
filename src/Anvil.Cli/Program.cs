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
