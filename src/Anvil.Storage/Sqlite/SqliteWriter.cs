using System.Diagnostics;
using System.Threading.Channels;
using Anvil.Machinery.Instrumentation;
using Microsoft.Data.Sqlite;

namespace Anvil.Storage.Sqlite;

/// <summary>
/// The only writer of the database. Callers queue <see cref="WriteRequest"/>s; a dedicated thread takes
/// everything pending (up to a bound), applies it in order in one transaction, each write getting the next
/// revision, commits once (one fsync for the group), publishes the events, then completes the callers.
/// A guarded write that fails (exists, not found, conflict) fails alone; an SQLite error fails the group,
/// which is then retried one request at a time so that only the culprit fails.
/// </summary>
internal sealed class SqliteWriter : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly WatchHub _hub;
    private readonly Action _committed;
    private readonly int _maxBatch;
    // Synchronous continuations: the only reader is the writer thread blocked in WaitToReadAsync, so a write wakes
    // it directly instead of through a thread-pool work item (which, on a loaded machine, waited tens of ms).
    private readonly Channel<WriteRequest> _requests =
        Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<WatchEvent> _events = [];
    private readonly SqliteCommand _begin, _commit, _rollback, _latest, _insert, _upsertCurrent, _deleteCurrent;
    private readonly SqliteCommand _compactSuperseded, _compactTombstones, _setCompactRevision;
    private long _revision;

    /// <summary>Seconds per committed group, from BEGIN to the end of COMMIT (the fsync included).</summary>
    public Histogram CommitSeconds { get; } = new([0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024]);

    /// <summary>Writes per committed group.</summary>
    public Histogram CommitWrites { get; } = new([1, 2, 4, 8, 16, 32, 64, 128, 256]);

    /// <param name="committed">Called on the writer thread after each commit (wakes the checkpointer).</param>
    public SqliteWriter(SqliteConnection connection, long revision, WatchHub hub, int maxBatch, Action committed)
    {
        _connection = connection;
        _revision = revision;
        _hub = hub;
        _maxBatch = maxBatch;
        _committed = committed;
        _begin = SqliteConnections.Prepare(connection, SqlText.BeginImmediate);
        _commit = SqliteConnections.Prepare(connection, SqlText.Commit);
        _rollback = SqliteConnections.Prepare(connection, SqlText.Rollback);
        _latest = SqliteConnections.Prepare(connection, SqlText.SelectLatest, ("$name", SqliteType.Text));
        _insert = SqliteConnections.Prepare(connection, SqlText.Insert,
            ("$id", SqliteType.Integer), ("$name", SqliteType.Text), ("$created", SqliteType.Integer),
            ("$deleted", SqliteType.Integer), ("$create_revision", SqliteType.Integer),
            ("$prev_revision", SqliteType.Integer), ("$value", SqliteType.Blob));
        _upsertCurrent = SqliteConnections.Prepare(connection, SqlText.UpsertCurrent,
            ("$name", SqliteType.Text), ("$id", SqliteType.Integer));
        _deleteCurrent = SqliteConnections.Prepare(connection, SqlText.DeleteCurrent, ("$name", SqliteType.Text));
        _compactSuperseded = SqliteConnections.Prepare(connection, SqlText.CompactSuperseded,
            ("$from", SqliteType.Integer), ("$to", SqliteType.Integer));
        _compactTombstones = SqliteConnections.Prepare(connection, SqlText.CompactTombstones,
            ("$from", SqliteType.Integer), ("$to", SqliteType.Integer));
        _setCompactRevision = SqliteConnections.Prepare(connection, SqlText.SetCompactRevision, ("$to", SqliteType.Integer));

        var thread = new Thread(Run) { IsBackground = true, Name = "anvil-store-writer" };
        thread.Start();
    }

    /// <summary>The newest committed revision.</summary>
    public long Revision => Volatile.Read(ref _revision);

    public Task<WriteOutcome> EnqueueAsync(WriteRequest request)
    {
        if (!_requests.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(SqliteStore));
        }

        return request.Completion.Task;
    }

    /// <summary>Refuses new writes, finishes the queued ones, and ends the writer thread.</summary>
    public Task StopAsync()
    {
        _requests.Writer.TryComplete();
        return _stopped.Task;
    }

    public void Dispose() => _connection.Dispose();

    private void Run()
    {
        var batch = new List<WriteRequest>(_maxBatch);
        var reader = _requests.Reader;
        try
        {
            while (true)
            {
                if (!reader.TryRead(out var first))
                {
                    // A dedicated thread may block: it keeps the fsync path off the thread pool.
                    if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                    {
                        break;
                    }

                    continue;
                }

                batch.Add(first);
                while (batch.Count < _maxBatch && reader.TryRead(out var next))
                {
                    batch.Add(next);
                }

                if (!TryCommit(batch, out var error))
                {
                    if (batch.Count == 1)
                    {
                        Fail(batch[0], error!);
                    }
                    else
                    {
                        // Find the request that broke the group: retry each one alone.
                        foreach (var request in batch)
                        {
                            if (!TryCommit([request], out var own))
                            {
                                Fail(request, own!);
                            }
                        }
                    }
                }

                batch.Clear();
            }

            _stopped.TrySetResult();
        }
        catch (Exception e)
        {
            // Not reachable by design; make sure nobody waits forever.
            _requests.Writer.TryComplete(e);
            foreach (var request in batch)
            {
                Fail(request, e);
            }

            while (reader.TryRead(out var request))
            {
                Fail(request, e);
            }

            _stopped.TrySetException(e);
        }
    }

    /// <summary>Applies and commits a group; on success completes every request in it.</summary>
    private bool TryCommit(IReadOnlyList<WriteRequest> batch, out Exception? error)
    {
        var revision = _revision;
        var started = Stopwatch.GetTimestamp();
        try
        {
            _begin.ExecuteNonQuery();
            try
            {
                foreach (var request in batch)
                {
                    request.Reset();
                    if (request.CancellationToken.IsCancellationRequested)
                    {
                        request.Error = new OperationCanceledException(request.CancellationToken);
                        continue;
                    }

                    Apply(request, ref revision);
                }

                _commit.ExecuteNonQuery();
            }
            catch
            {
                TryRollback();
                throw;
            }
        }
        catch (Exception e)
        {
            error = e;
            return false;
        }

        CommitSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        CommitWrites.Observe(batch.Count);
        Volatile.Write(ref _revision, revision);
        _events.Clear();
        foreach (var request in batch)
        {
            if (request.Event != null)
            {
                _events.Add(request.Event);
            }
        }

        _hub.Publish(_events);
        _events.Clear();
        foreach (var request in batch)
        {
            if (request.Error != null)
            {
                Fail(request, request.Error);
            }
            else
            {
                request.Completion.TrySetResult(request.Outcome);
            }
        }

        _committed();
        error = null;
        return true;
    }

    private void TryRollback()
    {
        try
        {
            _rollback.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // The connection rolled back on its own (e.g. after an I/O error).
        }
    }

    private static void Fail(WriteRequest request, Exception error)
    {
        if (error is OperationCanceledException canceled)
        {
            request.Completion.TrySetCanceled(canceled.CancellationToken);
        }
        else
        {
            request.Completion.TrySetException(error);
        }
    }

    private void Apply(WriteRequest request, ref long revision)
    {
        if (request.Kind == WriteKind.Compact)
        {
            Compact(request.CompactFrom, request.CompactTo);
            return;
        }

        var key = request.Key;
        var (latestId, deleted, createRevision, value) = ReadLatest(key);
        var live = latestId > 0 && !deleted;
        var current = live ? new KeyValue(key, value!, createRevision, latestId) : null;
        var next = revision + 1;
        switch (request.Kind)
        {
            case WriteKind.Create:
                if (current != null)
                {
                    request.Error = new KeyExistsException(key);
                    return;
                }

                Insert(next, key, created: true, deleted: false, createRevision: next, prevRevision: latestId, request.Value);
                SetCurrent(key, next);
                var created = new KeyValue(key, request.Value!, next, next);
                request.Event = new WatchEvent(WatchEventType.Put, key, next, created, null);
                request.Outcome = new WriteOutcome(next, null);
                break;

            case WriteKind.Update:
                if (current == null)
                {
                    request.Error = new KeyNotFoundException($"key not found: {key}");
                    return;
                }

                if (current.ModRevision != request.ExpectedRevision)
                {
                    request.Error = new RevisionConflictException(key, current);
                    return;
                }

                Insert(next, key, created: false, deleted: false, createRevision, prevRevision: latestId, request.Value);
                SetCurrent(key, next);
                var updated = new KeyValue(key, request.Value!, createRevision, next);
                request.Event = new WatchEvent(WatchEventType.Put, key, next, updated, current);
                request.Outcome = new WriteOutcome(next, current);
                break;

            case WriteKind.Delete:
                if (current == null)
                {
                    request.Error = new KeyNotFoundException($"key not found: {key}");
                    return;
                }

                if (request.ExpectedRevision > 0 && current.ModRevision != request.ExpectedRevision)
                {
                    request.Error = new RevisionConflictException(key, current);
                    return;
                }

                Insert(next, key, created: false, deleted: true, createRevision, prevRevision: latestId, null);
                _deleteCurrent.Parameters[0].Value = key;
                _deleteCurrent.ExecuteNonQuery();
                request.Event = new WatchEvent(WatchEventType.Delete, key, next, null, current);
                request.Outcome = new WriteOutcome(next, current);
                break;

            default:
                throw new InvalidOperationException($"unknown write kind {request.Kind}");
        }

        revision = next;
    }

    private (long Id, bool Deleted, long CreateRevision, byte[]? Value) ReadLatest(string key)
    {
        _latest.Parameters[0].Value = key;
        using var reader = _latest.ExecuteReader();
        if (!reader.Read())
        {
            return (0, false, 0, null);
        }

        var deleted = reader.GetInt64(1) != 0;
        return (reader.GetInt64(0), deleted, reader.GetInt64(2), deleted ? null : SqliteConnections.ReadBlob(reader, 3));
    }

    private void Insert(long id, string key, bool created, bool deleted, long createRevision, long prevRevision, byte[]? value)
    {
        var p = _insert.Parameters;
        p[0].Value = id;
        p[1].Value = key;
        p[2].Value = created ? 1L : 0L;
        p[3].Value = deleted ? 1L : 0L;
        p[4].Value = createRevision;
        p[5].Value = prevRevision;
        p[6].Value = (object?)value ?? DBNull.Value;
        _insert.ExecuteNonQuery();
    }

    private void SetCurrent(string key, long id)
    {
        _upsertCurrent.Parameters[0].Value = key;
        _upsertCurrent.Parameters[1].Value = id;
        _upsertCurrent.ExecuteNonQuery();
    }

    private void Compact(long from, long to)
    {
        foreach (var command in (ReadOnlySpan<SqliteCommand>)[_compactSuperseded, _compactTombstones])
        {
            command.Parameters[0].Value = from;
            command.Parameters[1].Value = to;
            command.ExecuteNonQuery();
        }

        _setCompactRevision.Parameters[0].Value = to;
        _setCompactRevision.ExecuteNonQuery();
    }
}
