using System.Threading.Channels;

namespace Anvil.Storage.Sqlite;

/// <summary>A fixed set of <see cref="ReadConnection"/>s handed out one caller at a time.</summary>
internal sealed class ReadPool : IDisposable
{
    private readonly Channel<ReadConnection> _idle;
    private readonly ReadConnection[] _all;

    public ReadPool(string path, int size)
    {
        _all = new ReadConnection[size];
        _idle = Channel.CreateBounded<ReadConnection>(size);
        try
        {
            for (var i = 0; i < size; i++)
            {
                _all[i] = new ReadConnection(path);
                _idle.Writer.TryWrite(_all[i]);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public async ValueTask<ReadConnection> RentAsync(CancellationToken ct)
    {
        if (_idle.Reader.TryRead(out var connection))
        {
            return connection;
        }

        try
        {
            return await _idle.Reader.ReadAsync(ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(SqliteStore));
        }
    }

    public void Return(ReadConnection connection) => _idle.Writer.TryWrite(connection);

    /// <summary>
    /// Waits until every connection is back, so none is closed under a reader; renters still waiting
    /// afterwards get <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async Task DrainAsync()
    {
        for (var i = 0; i < _all.Length; i++)
        {
            await _idle.Reader.ReadAsync().ConfigureAwait(false);
        }

        _idle.Writer.TryComplete();
    }

    public void Dispose()
    {
        foreach (var connection in _all)
        {
            connection?.Dispose();
        }
    }
}
