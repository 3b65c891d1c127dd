namespace Anvil.E2E.Harness;

/// <summary>What one kubectl run printed and returned.</summary>
public sealed record KubectlResult(string Command, int ExitCode, string Stdout, string Stderr, bool TimedOut)
{
    public string[] StdoutLines => SplitLines(Stdout);

    public string[] StderrLines => SplitLines(Stderr);

    /// <summary>Throws with the whole run in the message unless kubectl exited 0.</summary>
    public KubectlResult Succeeded()
    {
        if (ExitCode != 0 || TimedOut) throw new Xunit.Sdk.XunitException("expected success\n" + this);
        return this;
    }

    /// <summary>Throws with the whole run in the message unless kubectl exited non-zero.</summary>
    public KubectlResult Failed()
    {
        if (ExitCode == 0 || TimedOut) throw new Xunit.Sdk.XunitException("expected kubectl to fail\n" + this);
        return this;
    }

    public override string ToString() =>
        $"$ {Command}\nexit code: {(TimedOut ? "timed out" : ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture))}\n--- stdout ---\n{Stdout}--- stderr ---\n{Stderr}--------------";

    private static string[] SplitLines(string s) =>
        s.Length == 0 ? [] : s.TrimEnd('\n').Split('\n');
}
