namespace Anvil.Storage.Sqlite;

/// <summary>What a committed write hands back: its revision and, for updates and deletes, the value it replaced.</summary>
internal readonly record struct WriteOutcome(long Revision, KeyValue? Previous);
