using System.Runtime.CompilerServices;
using Anvil.Machinery.Instrumentation;
using Microsoft.Data.Sqlite;

namespace Anvil.Storage.Sqlite;

/// <summary>
/// The embedded <see cref="IStore"/>: kine's append-only row model on one SQLite file in WAL mode with
/// <c>synchronous=FULL</c>. Writes go through a single group-committing writer (<see cref="SqliteWriter"/>);
/// reads use a small pool of connections; watches replay history from the table and then follow the
/// writer's in-process broadcast (<see cref="WatchHub"/>).
/// </summary>
public sealed class SqliteStore : IStore
{
    private readonly SqliteStoreOptions _options;
    private readonly FileStream _lock;
    private readonly SqliteWriter _writer;
    private readonly ReadPool _readers;
    private readonly Checkpointer _checkpointer;
    private readonly WatchHub _hub;
    private readonly SemaphoreSlim _compactLock = new(1, 1);
    private long _compacted;   // advertised: reads below it fail; raised before any row is removed
    private long _compactDone; // rows are removed up to here (also what the meta table holds)
    private int _disposed;
    private CancellationTokenSource? _autoCompactStop;
    private Task? _autoCompaction;

    private SqliteStore(SqliteStoreOptions options, FileStream lockFile, SqliteWriter writer, ReadPool readers, Checkpointer checkpointer,
        WatchHub hub, long compacted)
    {
        _options = options;
        _lock = lockFile;
        _writer = writer;
        _readers = readers;
        _checkpointer = checkpointer;
        _hub = hub;
        _compacted = compacted;
        _compactDone = compacted;
    }

    public long CurrentRevision => _writer.Revision;

    public long CompactedRevision => Volatile.Read(ref _compacted);

    /// <summary>The error of the last failed background compaction, if any (cleared by a successful one).</summary>
    public Exception? LastAutoCompactionError { get; private set; }

    /// <summary>Live watches; for tests and metrics.</summary>
    internal int WatcherCount => _hub.Count;

    /// <summary>The store's figures for <c>/metrics</c>: commit times and sizes, open watches.</summary>
    public void RegisterMetrics(MetricsRegistry registry)
    {
        registry.Register(CallbackFamily.Of("anvil_storage_commit_duration_seconds",
            "Time to commit one group of writes to SQLite, fsync included (the store's etcd_request_duration_seconds).", _writer.CommitSeconds));
        registry.Register(CallbackFamily.Of("anvil_storage_commit_writes", "Writes committed together in one transaction.", _writer.CommitWrites));
        registry.Register(CallbackFamily.Of("anvil_storage_watchers", "Open watches on the store.", "gauge", () => WatcherCount));
        registry.Register(CallbackFamily.Of("anvil_storage_revision", "The newest committed revision (resourceVersion).", "gauge", () => CurrentRevision));
    }

    /// <summary>Opens (or creates) the store at <paramref name="path"/>; the revision continues where it stopped.</summary>
    public static Task<SqliteStore> OpenAsync(string path, CancellationToken ct = default) =>
        OpenAsync(path, new SqliteStoreOptions(), ct);

    public static Task<SqliteStore> OpenAsync(string path, SqliteStoreOptions options, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        return Task.Run(() => Open(Path.GetFullPath(path), options), ct);
    }

    private static SqliteStore Open(string path, SqliteStoreOptions options)
    {
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // The writer assumes it is the only one (it numbers revisions itself), so a second process must not
        // open the same file. FileShare.None is an flock on Unix, released when the process dies.
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"the store {path} is in use by another process", e);
        }

        SqliteConnection? connection = null;
        ReadPool? readers = null;
        try
        {
            connection = SqliteConnections.Open(path);
            SqliteConnections.Execute(connection, SqlText.WriterPragmas);
            SqliteConnections.Execute(connection, SqlText.Schema);
            var compacted = SqliteConnections.ExecuteScalar(connection, SqlText.SelectCompactRevision);
            // sqlite_sequence keeps the highest id ever used, even when compaction removed that row.
            var revision = Math.Max(SqliteConnections.ExecuteScalar(connection, SqlText.SelectRevision), compacted);
            readers = new ReadPool(path, options.ReadConnections);
            var checkpointer = new Checkpointer(path, options.CheckpointInterval);
            var hub = new WatchHub();
            var writer = new SqliteWriter(connection, revision, hub, options.MaxWriteBatch, checkpointer.Request);
            return new SqliteStore(options, lockFile, writer, readers, checkpointer, hub, compacted);
        }
        catch
        {
            readers?.Dispose();
            connection?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    public async Task<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct = default)
    {
        CheckKey(key);
        ct.ThrowIfCancellationRequested();
        var outcome = await _writer.EnqueueAsync(WriteRequest.Create(key, value, ct)).ConfigureAwait(false);
        return outcome.Revision;
    }

    public async Task<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct = default)
    {
        CheckKey(key);
        ct.ThrowIfCancellationRequested();
        var outcome = await _writer.EnqueueAsync(WriteRequest.Update(key, value, expectedRevision, ct)).ConfigureAwait(false);
        return outcome.Revision;
    }

    public async Task<(long Revision, KeyValue Deleted)> DeleteAsync(string key, long expectedRevision = 0, CancellationToken ct = default)
    {
        CheckKey(key);
        ct.ThrowIfCancellationRequested();
        var outcome = await _writer.EnqueueAsync(WriteRequest.Delete(key, expectedRevision, ct)).ConfigureAwait(false);
        return (outcome.Revision, outcome.Previous!);
    }

    public async Task<KeyValue?> GetAsync(string key, CancellationToken ct = default)
    {
        CheckKey(key);
        var connection = await RentAsync(ct).ConfigureAwait(false);
        try
        {
            var command = connection.Latest;
            command.Parameters[0].Value = key;
            using var reader = command.ExecuteReader();
            if (!reader.Read() || reader.GetInt64(1) != 0)
            {
                return null;
            }

            return new KeyValue(key, SqliteConnections.ReadBlob(reader, 3), reader.GetInt64(2), reader.GetInt64(0));
        }
        finally
        {
            _readers.Return(connection);
        }
    }

    public async Task<RangeResult> RangeAsync(string prefix, long revision = 0, string? startAfterKey = null, int limit = 0,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (revision > 0)
        {
            CheckNotCompacted(revision);
        }

        var bounds = KeyBounds.ForPrefix(prefix);
        var after = startAfterKey != null && KeyBounds.Compare(startAfterKey, prefix) >= 0;
        var low = after ? startAfterKey! : prefix;
        var connection = await RentAsync(ct).ConfigureAwait(false);
        try
        {
            List<KeyValue> items;
            long readAt;
            // One snapshot for the list and its revision. The snapshot may be a commit ahead of CurrentRevision
            // (the writer publishes just after COMMIT), so "future" is judged against the snapshot.
            connection.Begin.ExecuteNonQuery();
            try
            {
                readAt = Convert.ToInt64(connection.Revision.ExecuteScalar());
                if (revision == 0)
                {
                    items = ReadRange(after ? connection.RangeNewestGt : connection.RangeNewestGe, low, bounds.High, limit, null);
                }
                else if (revision > readAt)
                {
                    throw new ArgumentOutOfRangeException(nameof(revision), revision,
                        $"required revision is a future revision (current: {readAt})");
                }
                else
                {
                    items = ReadRange(after ? connection.RangeAtGt : connection.RangeAtGe, low, bounds.High, limit, revision);
                    readAt = revision;
                }
            }
            finally
            {
                connection.Commit.ExecuteNonQuery();
            }

            if (revision > 0)
            {
                // Compaction may have started after the check above and removed rows this read needed.
                CheckNotCompacted(revision);
            }

            var more = limit > 0 && items.Count > limit;
            if (more)
            {
                items.RemoveAt(items.Count - 1);
            }

            return new RangeResult(items, readAt, more);
        }
        finally
        {
            _readers.Return(connection);
        }
    }

    public async Task<long> CountAsync(string prefix, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var bounds = KeyBounds.ForPrefix(prefix);
        var connection = await RentAsync(ct).ConfigureAwait(false);
        try
        {
            var command = connection.Count;
            command.Parameters[0].Value = bounds.Low;
            command.Parameters[1].Value = bounds.High;
            return Convert.ToInt64(command.ExecuteScalar());
        }
        finally
        {
            _readers.Return(connection);
        }
    }

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(afterRevision);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        CheckNotCompacted(afterRevision);
        return StreamAsync(prefix, afterRevision, ct);
    }

    private async IAsyncEnumerable<WatchEvent> StreamAsync(string prefix, long afterRevision,
        [EnumeratorCancellation] CancellationToken ct)
    {
        // Subscribe before reading history: every commit is then either in the history read or queued here;
        // events seen in both are dropped by revision.
        var watcher = _hub.Subscribe(prefix, _options.WatchQueueCapacity);
        try
        {
            var bounds = KeyBounds.ForPrefix(prefix);
            var last = afterRevision;
            var pageSize = _options.WatchReplayPage;
            while (true)
            {
                var page = await ReadHistoryAsync(bounds, last, pageSize, ct).ConfigureAwait(false);
                // Rows above `last` are only removed after the compacted revision passes `last`.
                CheckNotCompacted(last);
                foreach (var e in page)
                {
                    yield return e;
                    last = e.Revision;
                }

                if (page.Count < pageSize)
                {
                    break;
                }
            }

            await foreach (var e in watcher.Events.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (e.Revision <= last)
                {
                    continue;
                }

                yield return e;
                last = e.Revision;
            }
        }
        finally
        {
            _hub.Unsubscribe(watcher);
        }
    }

    private async Task<List<WatchEvent>> ReadHistoryAsync(KeyBounds bounds, long after, int limit, CancellationToken ct)
    {
        var connection = await RentAsync(ct).ConfigureAwait(false);
        try
        {
            var command = connection.History;
            command.Parameters[0].Value = after;
            command.Parameters[1].Value = bounds.Low;
            command.Parameters[2].Value = bounds.High;
            command.Parameters[3].Value = limit;
            var events = new List<WatchEvent>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var revision = reader.GetInt64(0);
                var key = reader.GetString(1);
                var created = reader.GetInt64(2) != 0;
                var deleted = reader.GetInt64(3) != 0;
                var createRevision = reader.GetInt64(4);
                var previous = created
                    ? null
                    : new KeyValue(key, SqliteConnections.ReadBlob(reader, 7), createRevision, reader.GetInt64(5));
                events.Add(deleted
                    ? new WatchEvent(WatchEventType.Delete, key, revision, null, previous)
                    : new WatchEvent(WatchEventType.Put, key, revision,
                        new KeyValue(key, SqliteConnections.ReadBlob(reader, 6), createRevision, revision), previous));
            }

            return events;
        }
        finally
        {
            _readers.Return(connection);
        }
    }

    public async Task CompactAsync(long revision, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _compactLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (revision <= _compactDone)
            {
                return;
            }

            var current = CurrentRevision;
            if (revision > current)
            {
                throw new ArgumentOutOfRangeException(nameof(revision), revision,
                    $"required revision is a future revision (current: {current})");
            }

            // Advertise first: from here on reads below the revision fail, so no reader sees half-removed history.
            InterlockedMax(ref _compacted, revision);
            var step = Math.Max(1, _options.CompactionStep);
            while (_compactDone < revision)
            {
                var to = Math.Min(_compactDone + step, revision);
                await _writer.EnqueueAsync(WriteRequest.Compact(_compactDone, to, ct)).ConfigureAwait(false);
                _compactDone = to;
            }

            _checkpointer.Request();
        }
        finally
        {
            _compactLock.Release();
        }
    }

    /// <summary>
    /// Compacts in the background every <paramref name="interval"/>, as kube-apiserver does: each round
    /// compacts to the revision seen one round earlier, but never into the newest
    /// <paramref name="keepRevisions"/> revisions. So history is kept for at least one interval and at least
    /// that many revisions. Stops at <see cref="DisposeAsync"/>.
    /// </summary>
    public void StartAutoCompaction(TimeSpan interval, long keepRevisions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(keepRevisions);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var stop = new CancellationTokenSource();
        if (Interlocked.CompareExchange(ref _autoCompactStop, stop, null) != null)
        {
            stop.Dispose();
            throw new InvalidOperationException("automatic compaction is already running");
        }

        _autoCompaction = Task.Run(() => AutoCompactAsync(interval, keepRevisions, stop.Token));
    }

    private async Task AutoCompactAsync(TimeSpan interval, long keepRevisions, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval);
        var seen = CurrentRevision;
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            var now = CurrentRevision;
            var target = Math.Min(seen, now - keepRevisions);
            seen = now;
            if (target <= CompactedRevision)
            {
                continue;
            }

            try
            {
                await CompactAsync(target, ct).ConfigureAwait(false);
                LastAutoCompactionError = null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LastAutoCompactionError = e;
            }
        }
    }

    /// <summary>Stops background work, finishes queued writes, ends watches, and closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_autoCompactStop != null)
        {
            _autoCompactStop.Cancel();
            try
            {
                await _autoCompaction!.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            _autoCompactStop.Dispose();
        }

        try
        {
            await _writer.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _hub.CloseAll();
            await _checkpointer.DisposeAsync().ConfigureAwait(false);
            await _readers.DrainAsync().ConfigureAwait(false);
            _readers.Dispose();
            _writer.Dispose();
            _compactLock.Dispose();
            _lock.Dispose();
        }
    }

    private ValueTask<ReadConnection> RentAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _readers.RentAsync(ct);
    }

    private void CheckNotCompacted(long revision)
    {
        var compacted = CompactedRevision;
        if (revision < compacted)
        {
            throw new CompactedException(revision, compacted);
        }
    }

    private static void CheckKey(string key) => ArgumentException.ThrowIfNullOrEmpty(key);

    private static List<KeyValue> ReadRange(SqliteCommand command, string low, byte[] high, int limit, long? revision)
    {
        var p = command.Parameters;
        p[0].Value = low;
        p[1].Value = high;
        p[2].Value = limit == 0 ? -1L : limit + 1L; // one extra row tells whether more remain
        if (revision is { } rev)
        {
            p[3].Value = rev;
        }

        var items = new List<KeyValue>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            items.Add(new KeyValue(reader.GetString(0), SqliteConnections.ReadBlob(reader, 3), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return items;
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var seen = Volatile.Read(ref location);
        while (seen < value)
        {
            var previous = Interlocked.CompareExchange(ref location, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
