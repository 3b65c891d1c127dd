namespace Anvil.Bench.ApiServer;

/// <summary>One line of the ratios and targets: the figure, its target and PASS/MISS (empty when there is no target).</summary>
internal sealed record TargetLine(string Name, string Value, string Goal, string Verdict, double? Number);
