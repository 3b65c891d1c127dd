using Microsoft.Data.Sqlite;

namespace Anvil.Storage.Sqlite;

/// <summary>
/// A read connection with its statements prepared once. Used by one caller at a time (rented from the pool);
/// WAL lets several of these read while the writer commits.
/// </summary>
internal sealed class ReadConnection : IDisposable
{
    private readonly SqliteConnection _connection;

    public ReadConnection(string path)
    {
        _connection = SqliteConnections.Open(path);
        SqliteConnections.Execute(_connection, SqlText.ReaderPragmas);
        Begin = SqliteConnections.Prepare(_connection, SqlText.Begin);
        Commit = SqliteConnections.Prepare(_connection, SqlText.Commit);
        Rollback = SqliteConnections.Prepare(_connection, SqlText.Rollback);
        Revision = SqliteConnections.Prepare(_connection, SqlText.SelectRevision);
        Latest = SqliteConnections.Prepare(_connection, SqlText.SelectLatest, ("$name", SqliteType.Text));
        RangeNewestGe = PrepareRange(SqlText.RangeNewestGe, withRevision: false);
        RangeNewestGt = PrepareRange(SqlText.RangeNewestGt, withRevision: false);
        RangeAtGe = PrepareRange(SqlText.RangeAtGe, withRevision: true);
        RangeAtGt = PrepareRange(SqlText.RangeAtGt, withRevision: true);
        Count = SqliteConnections.Prepare(_connection, SqlText.Count, ("$lo", SqliteType.Text), ("$hi", SqliteType.Blob));
        History = SqliteConnections.Prepare(_connection, SqlText.History,
            ("$after", SqliteType.Integer), ("$lo", SqliteType.Text), ("$hi", SqliteType.Blob), ("$limit", SqliteType.Integer));
    }

    public SqliteCommand Begin { get; }

    public SqliteCommand Commit { get; }

    public SqliteCommand Rollback { get; }

    public SqliteCommand Revision { get; }

    public SqliteCommand Latest { get; }

    /// <summary>Parameters: $lo, $hi, $limit.</summary>
    public SqliteCommand RangeNewestGe { get; }

    public SqliteCommand RangeNewestGt { get; }

    /// <summary>Parameters: $lo, $hi, $limit, $rev.</summary>
    public SqliteCommand RangeAtGe { get; }

    public SqliteCommand RangeAtGt { get; }

    public SqliteCommand Count { get; }

    public SqliteCommand History { get; }

    public void Dispose() => _connection.Dispose();

    private SqliteCommand PrepareRange(string sql, bool withRevision) => withRevision
        ? SqliteConnections.Prepare(_connection, sql,
            ("$lo", SqliteType.Text), ("$hi", SqliteType.Blob), ("$limit", SqliteType.Integer), ("$rev", SqliteType.Integer))
        : SqliteConnections.Prepare(_connection, sql,
            ("$lo", SqliteType.Text), ("$hi", SqliteType.Blob), ("$limit", SqliteType.Integer));
}
