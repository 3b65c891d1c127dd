namespace Anvil.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("anvil: not yet");
        return 2;
    }
}
