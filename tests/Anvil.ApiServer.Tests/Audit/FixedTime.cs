namespace Anvil.ApiServer.Tests.Audit;

/// <summary>A clock that only moves when told to.</summary>
public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
