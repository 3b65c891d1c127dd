using System.Globalization;

namespace Anvil.Bench.ApiServer;

/// <summary>Flags of the apiserver benchmark; every phase is bounded by a count and by time.</summary>
internal sealed record BenchOptions
{
    public int Objects { get; init; } = 10_000;
    public TimeSpan PhaseTime { get; init; } = TimeSpan.FromSeconds(6);
    public bool Quick { get; init; }
    public bool Http1 { get; init; }
    public string? JsonPath { get; init; }

    /// <summary>Clients of the concurrent phases (kubectl-like processes, one connection each).</summary>
    public int Concurrency { get; init; } = 32;

    /// <summary>Most operations of one timed phase.</summary>
    public int MaxOpsPerPhase { get; init; } = 50_000;

    /// <summary>Longest the preload may take before it stops with what it has.</summary>
    public TimeSpan PreloadTime => Quick ? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(120);

    /// <summary>Runs of each list form (p99 of few runs is their maximum).</summary>
    public int ListRuns => Quick ? 3 : 15;

    /// <summary>Creates per second while a watch is open.</summary>
    public int WatchRate { get; init; } = 50;

    public static BenchOptions Parse(ReadOnlySpan<string> args)
    {
        var o = new BenchOptions();
        int? objects = null, seconds = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }
            string Value(ref int i, ReadOnlySpan<string> a, string flag) =>
                inline ?? (i + 1 < a.Length ? a[++i] : throw new ArgumentException($"{flag} needs a value"));
            switch (arg)
            {
                case "--objects":
                    objects = PositiveInt(Value(ref i, args, arg), arg, 1_000_000);
                    break;
                case "--seconds":
                    seconds = PositiveInt(Value(ref i, args, arg), arg, 600);
                    break;
                case "--quick":
                    o = o with { Quick = true };
                    break;
                case "--http1":
                    o = o with { Http1 = true };
                    break;
                case "--json":
                    o = o with { JsonPath = Path.GetFullPath(Value(ref i, args, arg)) };
                    break;
                default:
                    throw new ArgumentException($"unknown flag \"{args[i]}\"");
            }
        }
        return o with
        {
            Objects = objects ?? (o.Quick ? 2_000 : 10_000),
            PhaseTime = TimeSpan.FromSeconds(seconds ?? (o.Quick ? 2 : 6)),
        };
    }

    private static int PositiveInt(string text, string flag, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= max
            ? n
            : throw new ArgumentException($"invalid {flag} \"{text}\": must be 1-{max}");
}
