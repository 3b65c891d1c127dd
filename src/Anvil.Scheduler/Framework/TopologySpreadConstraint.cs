using Anvil.Machinery.Selectors;

namespace Anvil.Scheduler.Framework;

/// <summary>A pod's topologySpreadConstraints entry (whenUnsatisfiable DoNotSchedule or ScheduleAnyway).</summary>
internal sealed record TopologySpreadConstraint(int MaxSkew, string TopologyKey, bool DoNotSchedule, LabelSelector Selector);
