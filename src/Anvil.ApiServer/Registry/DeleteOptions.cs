namespace Anvil.ApiServer.Registry;

public enum PropagationPolicy { Background, Foreground, Orphan }

/// <summary>The parts of <c>metav1.DeleteOptions</c> the store acts on.</summary>
public sealed record DeleteOptions
{
    public long? GracePeriodSeconds { get; init; }
    public PropagationPolicy? Propagation { get; init; }
    public string? PreconditionUid { get; init; }
    public string? PreconditionResourceVersion { get; init; }
    public bool DryRun { get; init; }
}
