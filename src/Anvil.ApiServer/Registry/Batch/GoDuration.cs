using System.Text.RegularExpressions;

namespace Anvil.ApiServer.Registry.Batch;

/// <summary>Whether a string parses as Go's time.Duration ("1h30m", "90s", "1.5h").</summary>
internal static partial class GoDuration
{
    [GeneratedRegex(@"^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$")]
    private static partial Regex DurationRegex();

    public static bool IsValid(string s) => DurationRegex().IsMatch(s);
}
