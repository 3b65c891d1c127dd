namespace Anvil.Node.Probes;

/// <summary>A probe's verdict (pkg/kubelet/prober/results): Unknown until a threshold is reached, or when the probe errored.</summary>
public enum ProbeResult
{
    Unknown,
    Success,
    Failure,
}
