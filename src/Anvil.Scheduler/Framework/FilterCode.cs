namespace Anvil.Scheduler.Framework;

/// <summary>A filter's verdict, as framework.Code: whether preemption could change it.</summary>
internal enum FilterCode
{
    Success,
    /// <summary>The node does not fit now; removing pods (preemption) might help.</summary>
    Unschedulable,
    /// <summary>The node cannot fit the pod whatever runs on it.</summary>
    UnschedulableAndUnresolvable,
}
