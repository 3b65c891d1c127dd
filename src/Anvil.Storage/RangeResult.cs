namespace Anvil.Storage;

/// <summary>One page of a <see cref="IStore.RangeAsync"/>.</summary>
public sealed record RangeResult(IReadOnlyList<KeyValue> Items, long Revision, bool More);
