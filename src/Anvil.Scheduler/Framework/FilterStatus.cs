namespace Anvil.Scheduler.Framework;

/// <summary>A failed filter: its code and the reasons shown to users (counted per reason in FailedScheduling).</summary>
internal sealed record FilterStatus(FilterCode Code, IReadOnlyList<string> Reasons)
{
    public static FilterStatus Unschedulable(params string[] reasons) => new(FilterCode.Unschedulable, reasons);
    public static FilterStatus Unresolvable(params string[] reasons) => new(FilterCode.UnschedulableAndUnresolvable, reasons);
}
