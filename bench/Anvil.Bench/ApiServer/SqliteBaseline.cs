using Anvil.Bench.Measurement;
using Microsoft.Data.Sqlite;

namespace Anvil.Bench.ApiServer;

/// <summary>
/// The baseline: raw SQLite on the same file system with the store's durability settings (WAL,
/// synchronous=FULL), one row per transaction, no batching, no JSON, no HTTP. Keys look like the store's.
/// </summary>
internal sealed class SqliteBaseline(string directory, byte[] value, int rows, TimeSpan phaseTime, int concurrency)
{
    private static int s_initialized;

    public OpStats Insert1 { get; private set; } = null!;
    public OpStats InsertN { get; private set; } = null!;
    public OpStats Read1 { get; private set; } = null!;
    public OpStats ReadN { get; private set; } = null!;

    public void Run()
    {
        if (Interlocked.Exchange(ref s_initialized, 1) == 0) SQLitePCL.Batteries_V2.Init();
        Directory.CreateDirectory(directory);
        var single = Path.Combine(directory, "single.db");
        var multi = Path.Combine(directory, "multi.db");
        Create(single);
        Create(multi);

        Insert1 = ThreadRunner.Run("raw sqlite insert", 1, rows, phaseTime, _ => Inserter(single));
        InsertN = ThreadRunner.Run("raw sqlite insert", concurrency, rows, phaseTime, _ => Inserter(multi));
        var stored = Insert1.Ops;
        if (stored == 0) throw new InvalidOperationException($"raw sqlite insert stored nothing: {Insert1.FirstError}");
        Read1 = ThreadRunner.Run("raw sqlite get by key", 1, 1_000_000, phaseTime, _ => Reader(single, stored));
        ReadN = ThreadRunner.Run("raw sqlite get by key", concurrency, 1_000_000, phaseTime, _ => Reader(single, stored));
    }

    private static string Key(int i) => "/registry/configmaps/bench-list/" + ConfigMaps.PreloadName(i);

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
        }.ToString());
        connection.Open();
        using var pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;";
        pragmas.ExecuteNonQuery();
        return connection;
    }

    private static void Create(string path)
    {
        using var connection = Open(path);
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE IF NOT EXISTS kv(name TEXT PRIMARY KEY, value BLOB NOT NULL)";
        command.ExecuteNonQuery();
    }

    /// <summary>One INSERT per operation in autocommit mode: one transaction, one WAL fsync per row.</summary>
    private (Action<int>, IDisposable) Inserter(string path)
    {
        var connection = Open(path);
        var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO kv(name, value) VALUES($name, $value)";
        var name = insert.Parameters.Add("$name", SqliteType.Text);
        var blob = insert.Parameters.Add("$value", SqliteType.Blob);
        insert.Prepare();
        return (i =>
        {
            name.Value = Key(i);
            blob.Value = value;
            insert.ExecuteNonQuery();
        }, new Owner(insert, connection));
    }

    private static (Action<int>, IDisposable) Reader(string path, int stored)
    {
        var connection = Open(path);
        var select = connection.CreateCommand();
        select.CommandText = "SELECT value FROM kv WHERE name = $name";
        var name = select.Parameters.Add("$name", SqliteType.Text);
        select.Prepare();
        var random = new Random();
        return (_ =>
        {
            name.Value = Key(random.Next(stored));
            using var reader = select.ExecuteReader();
            if (!reader.Read()) throw new InvalidOperationException($"row {name.Value} missing");
            var bytes = (byte[])reader.GetValue(0);
            if (bytes.Length != 0 && bytes.Length < 16) throw new InvalidOperationException("short row");
        }, new Owner(select, connection));
    }

    private sealed class Owner(params IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items) item.Dispose();
        }
    }
}
