namespace Anvil.Storage.Sqlite;

/// <summary>
/// One queued write. The writer decides it inside a group transaction and completes <see cref="Completion"/>
/// only after the commit (or with the error that belongs to this request alone).
/// </summary>
internal sealed class WriteRequest
{
    private WriteRequest(WriteKind kind, string key, byte[]? value, long expectedRevision, long compactFrom,
        long compactTo, CancellationToken cancellationToken)
    {
        Kind = kind;
        Key = key;
        Value = value;
        ExpectedRevision = expectedRevision;
        CompactFrom = compactFrom;
        CompactTo = compactTo;
        CancellationToken = cancellationToken;
    }

    public WriteKind Kind { get; }

    public string Key { get; }

    /// <summary>A private copy: the caller may reuse its buffer, and watchers share this array.</summary>
    public byte[]? Value { get; }

    public long ExpectedRevision { get; }

    public long CompactFrom { get; }

    public long CompactTo { get; }

    public CancellationToken CancellationToken { get; }

    public TaskCompletionSource<WriteOutcome> Completion { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Set by the writer while the batch is open; applied after commit.
    public WriteOutcome Outcome { get; set; }

    public Exception? Error { get; set; }

    public WatchEvent? Event { get; set; }

    public static WriteRequest Create(string key, ReadOnlyMemory<byte> value, CancellationToken ct) =>
        new(WriteKind.Create, key, value.ToArray(), 0, 0, 0, ct);

    public static WriteRequest Update(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct) =>
        new(WriteKind.Update, key, value.ToArray(), expectedRevision, 0, 0, ct);

    public static WriteRequest Delete(string key, long expectedRevision, CancellationToken ct) =>
        new(WriteKind.Delete, key, null, expectedRevision, 0, 0, ct);

    public static WriteRequest Compact(long from, long to, CancellationToken ct) =>
        new(WriteKind.Compact, "", null, 0, from, to, ct);

    public void Reset()
    {
        Outcome = default;
        Error = null;
        Event = null;
    }
}
