using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Anvil.Storage.Sqlite;

/// <summary>
/// Copies the WAL back into the database from its own connection, so that the writer (whose automatic
/// checkpoint is off) never pays for it inside a commit. Wakes after commits, at most once per interval,
/// and runs PASSIVE checkpoints, which never wait for or block readers and writers.
/// </summary>
internal sealed class Checkpointer : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _checkpoint;
    private readonly TimeSpan _interval;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public Checkpointer(string path, TimeSpan interval)
    {
        _connection = SqliteConnections.Open(path);
        SqliteConnections.Execute(_connection, "PRAGMA busy_timeout=10000;");
        _checkpoint = SqliteConnections.Prepare(_connection, SqlText.Checkpoint);
        _interval = interval;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Asks for a checkpoint soon; cheap enough to call after every commit.</summary>
    public void Request() => _wake.Writer.TryWrite(true);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception)
        {
            // Checkpoints are an optimisation; closing the last connection checkpoints anyway.
        }

        _connection.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        while (await _wake.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            _wake.Reader.TryRead(out _);
            try
            {
                _checkpoint.ExecuteNonQuery();
            }
            catch (SqliteException)
            {
                // A busy database or a transient error: the next commit asks again.
            }

            await Task.Delay(_interval, ct).ConfigureAwait(false);
        }
    }
}
