namespace Anvil.Scheduler;

/// <summary>Settings of the scheduler (a small part of KubeSchedulerConfiguration).</summary>
public sealed record SchedulerOptions
{
    /// <summary>Pods whose spec.schedulerName is this are ours.</summary>
    public string SchedulerName { get; init; } = Scheduler.DefaultSchedulerName;
    /// <summary>Bindings written at once (upstream binds each pod in its own goroutine).</summary>
    public int BindParallelism { get; init; } = 32;
    /// <summary>0 = adaptive, as upstream's default.</summary>
    public int PercentageOfNodesToScore { get; init; }
    /// <summary>Seed for tie-breaking between equally good nodes (null = random).</summary>
    public int? Seed { get; init; }
}
