using Anvil.Bench.ApiServer;

namespace Anvil.Bench;

public static class Program
{
    private const string Usage = """
        usage: dotnet run -c Release --project bench/Anvil.Bench -- <benchmark> [flags]

        benchmarks:
          rbac        RBAC-checked get with 1,000 roles/bindings vs system:masters (--roles N --clients N --seconds N --quick)
          scheduler   pods bound per second with many Node objects (--nodes N --pods M --quick)
          node        pod startup vs bare runc, node agent overhead with idle pods; root + runc
                      (--pods N --parallel N --idle N --quick)
          tools       tool accounts: create → usable kubeconfig p50, 1,000 tools provisioned vs direct writes (--tools N --latency N --quick)
          apiserver   API server end to end over HTTPS against a raw SQLite baseline
                      flags: --objects N (10000)  --seconds N per timed phase (6; 2 with --quick)
                             --quick  --http1 (HTTP/1.1 instead of HTTP/2)  --json FILE
        """;

    public static async Task<int> Main(string[] args)
    {
        // rbac: RBAC-checked get against system:masters (bench/Anvil.Bench/Rbac).
        if (args.Length > 0 && args[0] == "rbac") return await Rbac.RbacBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
        // scheduler: pods bound per second (bench/Anvil.Bench/Scheduler).
        // tools: the tool-accounts controller (bench/Anvil.Bench/Tools).
        if (args.Length > 0 && args[0] == "tools") return await Tools.ToolsBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
        if (args.Length > 0 && args[0] == "scheduler") return await Scheduler.SchedulerBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
        // node: pod startup latency and node agent overhead with real containers (bench/Anvil.Bench/Node).
        if (args.Length > 0 && args[0] == "node") return await Node.NodeBenchmark.RunAsync(args[1..]).ConfigureAwait(false);
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Error.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        switch (args[0])
        {
            case "apiserver":
                BenchOptions options;
                try
                {
                    options = BenchOptions.Parse(args.AsSpan(1));
                }
                catch (ArgumentException e)
                {
                    Console.Error.WriteLine($"anvil-bench: {e.Message}");
                    Console.Error.WriteLine(Usage);
                    return 2;
                }
                using (var stop = new CancellationTokenSource())
                {
                    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
                    try
                    {
                        await new ApiServerBenchmark(options).RunAsync(stop.Token).ConfigureAwait(false);
                        return 0;
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        Console.Error.WriteLine("anvil-bench: interrupted");
                        return 130;
                    }
                    catch (Exception e)
                    {
                        Console.Error.WriteLine($"anvil-bench: failed: {e.GetType().Name}: {e.Message}");
                        Console.Error.WriteLine(e.StackTrace);
                        return 1;
                    }
                }
            default:
                Console.Error.WriteLine($"anvil-bench: unknown benchmark \"{args[0]}\"");
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }
}
