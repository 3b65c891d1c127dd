namespace Anvil.Node.Volumes;

/// <summary>
/// A pod's volumes as set up on this node: host path per volume name, and the volumes that failed with the
/// kubelet's FailedMount text (<c>MountVolume.SetUp failed for volume "v" : configmap "x" not found</c>).
/// Read-only marks the API-data volumes, which containers always mount read-only.
/// </summary>
public sealed record PodVolumes(IReadOnlyDictionary<string, string> Paths, IReadOnlySet<string> ReadOnly, IReadOnlyList<string> Errors)
{
    public bool Ready => Errors.Count == 0;
}
