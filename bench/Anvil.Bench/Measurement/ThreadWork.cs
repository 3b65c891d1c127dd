namespace Anvil.Bench.Measurement;

/// <summary>
/// What one <see cref="ThreadRunner"/> thread runs: the operation (called with its index), what to dispose
/// afterwards, and how to cut short an operation still blocked after the deadline (null: cannot).
/// </summary>
internal sealed record ThreadWork(Action<int> Op, IDisposable Owner, Action? Interrupt = null);
