namespace Anvil.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        // scheduler: pods bound per second (bench/Anvil.Bench/Scheduler).
        if (args.Length > 0 && args[0] == "scheduler") return Scheduler.SchedulerBenchmark.RunAsync(args[1..]).GetAwaiter().GetResult();
        Console.Error.WriteLine("usage: dotnet run --project bench/Anvil.Bench -c Release -- <benchmark>");
        return 2;
    }
}
