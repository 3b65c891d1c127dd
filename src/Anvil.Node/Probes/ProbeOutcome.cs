namespace Anvil.Node.Probes;

/// <summary>
/// One run of a probe: Success or Failure with the output the kubelet puts into its events, or Unknown when the
/// probe could not run at all (<see cref="Output"/> is then the error: "Liveness probe errored: ...").
/// </summary>
public sealed record ProbeOutcome(ProbeResult Result, string Output)
{
    public static ProbeOutcome Success(string output = "") => new(ProbeResult.Success, output);
    public static ProbeOutcome Failure(string output) => new(ProbeResult.Failure, output);
    public static ProbeOutcome Error(string error) => new(ProbeResult.Unknown, error);
}
