namespace Anvil.Scheduler.Framework;

/// <summary>The outcome of one scheduling cycle: the chosen node, or why none fit.</summary>
internal sealed record ScheduleResult(NodeInfo? Node, string? FailureMessage, string FailureReason, int EvaluatedNodes, int FeasibleNodes)
{
    public bool Succeeded => Node != null;
}
