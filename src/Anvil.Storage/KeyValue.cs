namespace Anvil.Storage;

/// <summary>A key's value with its revisions: <see cref="ModRevision"/> is the resourceVersion.</summary>
public sealed record KeyValue(string Key, ReadOnlyMemory<byte> Value, long CreateRevision, long ModRevision);
