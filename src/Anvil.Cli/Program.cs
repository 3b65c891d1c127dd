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
          up      run the platform: API server with an embedded store (and, later, controllers and the node agent)
                  --data-dir DIR   state, keys and kubeconfigs (default /var/lib/anvil as root, else ~/.local/share/anvil)
                  --port N         HTTPS port (default 6443)
                  --bind ADDR      address to listen on (default 127.0.0.1)
        """;
}
