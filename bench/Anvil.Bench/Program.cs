namespace Anvil.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: dotnet run --project bench/Anvil.Bench -c Release -- <benchmark>");
        return 2;
    }
}
