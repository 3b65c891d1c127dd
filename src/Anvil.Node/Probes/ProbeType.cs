namespace Anvil.Node.Probes;

/// <summary>The three probes of a container; the name is how the kubelet's events spell it ("Liveness probe failed: ...").</summary>
public enum ProbeType
{
    Liveness,
    Readiness,
    Startup,
}
