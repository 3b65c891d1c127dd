namespace Anvil.Node.Probes;

/// <summary>Runs one probe once, within the probe's timeout (pkg/kubelet/prober.prober).</summary>
public interface IProber
{
    Task<ProbeOutcome> ProbeAsync(ProbeSpec spec, ProbeTarget target, CancellationToken ct);
}
