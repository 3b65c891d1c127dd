using Anvil.Bench.Measurement;
using Microsoft.Data.Sqlite;

namespace Anvil.Bench.ApiServer;

/// <summary>
/// The baseline: raw SQLite on the same file system with the store's durability settings (WAL,
/// synchronous=FULL), one row per transaction, no batching, no JSON, no HTTP. Keys look like the store's.
/// </summary>
internal sealed class SqliteBaseline(string directory, byte[] value, int rows, TimeSpan phaseTime, TimeSpan readTime, int concurrency)
{
    /// <summary>The value of every row.</summary>
    public byte[] Value { get; set; } = value;

    /// <summary>How long the busy probe holds the write lock.</summary>
    public const int BusyHoldMs = 20;


    /// <summary>How long a writer waited for a lock held <see cref="BusyHoldMs"/> ms (-1 if not measured).</summary>
    public double BusyWaitMs { get; private set; } = -1;

    /// <summary>What <c>sqlite3_sleep(1)</c> reports it slept: 1000 when SQLite was built without usleep.</summary>
    public int SleepOneMs { get; private set; } = -1;

    public OpStats Insert1 { get; private set; } = null!;

    /// <summary>The 1-thread insert once more before the API phases: the machine is shared, so this shows drift.</summary>
    public OpStats? Insert1Before { get; private set; }

    /// <summary>The better of the two 1-thread insert runs (the baseline the ratios use).</summary>
    public OpStats BestInsert1 => Insert1Before != null && Insert1Before.Throughput > Insert1.Throughput ? Insert1Before : Insert1;
    public OpStats InsertN { get; private set; } = null!;
    public OpStats Read1 { get; private set; } = null!;
    public OpStats ReadN { get; private set; } = null!;

    /// <summary>Runs the 1-thread insert alone, on its own file (before the API server starts), for the short phase time.</summary>
    public void RunBefore()
    {
        Anvil.Storage.Sqlite.SqliteNative.Init();
        Directory.CreateDirectory(directory);
        var before = Path.Combine(directory, "before.db");
        Create(before);
        Insert1Before = ThreadRunner.Run("raw sqlite insert (before)", 1, rows, readTime, _ => Inserter(before));
    }

    public void Run()
    {
        Anvil.Storage.Sqlite.SqliteNative.Init();
        Directory.CreateDirectory(directory);
        var single = Path.Combine(directory, "single.db");
        var multi = Path.Combine(directory, "multi.db");
        Create(single);
        Create(multi);

        Insert1 = ThreadRunner.Run("raw sqlite insert", 1, rows, phaseTime, _ => Inserter(single));
        InsertN = ThreadRunner.Run("raw sqlite insert", concurrency, rows, phaseTime, _ => Inserter(multi));
        var stored = Insert1.Ops;
        if (stored == 0) throw new InvalidOperationException($"raw sqlite insert stored nothing: {Insert1.FirstError}");
        Read1 = ThreadRunner.Run("raw sqlite get by key", 1, 1_000_000, readTime, _ => Reader(single, stored));
        ReadN = ThreadRunner.Run("raw sqlite get by key", concurrency, 1_000_000, readTime, _ => Reader(single, stored));
        BusyWaitMs = MeasureBusyWait(multi);
        SleepOneMs = Anvil.Storage.Sqlite.SqliteNative.Sleep(1);
    }

    /// <summary>
    /// One connection holds the write lock for <see cref="BusyHoldMs"/> ms; another inserts meanwhile. SQLite's
    /// busy handler sleeps in steps of 1-100 ms when built with usleep, else in whole seconds.
    /// </summary>
    private static double MeasureBusyWait(string path)
    {
        using var holder = Open(path);
        using var waiter = Open(path);
        using (var begin = holder.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE; INSERT INTO kv(name, value) VALUES('busy-holder', x'00');";
            begin.ExecuteNonQuery();
        }
        var release = Task.Run(async () =>
        {
            await Task.Delay(BusyHoldMs).ConfigureAwait(false);
            using var commit = holder.CreateCommand();
            commit.CommandText = "COMMIT";
            commit.ExecuteNonQuery();
        });
        Thread.Sleep(2);
        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        using (var insert = waiter.CreateCommand())
        {
            insert.CommandText = "INSERT INTO kv(name, value) VALUES('busy-waiter', x'00')";
            insert.ExecuteNonQuery();
        }
        var waited = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        release.GetAwaiter().GetResult();
        return waited;
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
    private ThreadWork Inserter(string path)
    {
        var connection = Open(path);
        var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO kv(name, value) VALUES($name, $value)";
        var name = insert.Parameters.Add("$name", SqliteType.Text);
        var blob = insert.Parameters.Add("$value", SqliteType.Blob);
        insert.Prepare();
        return new ThreadWork(i =>
        {
            name.Value = Key(i);
            blob.Value = Value;
            insert.ExecuteNonQuery();
        }, new Disposables(insert, connection), () => SQLitePCL.raw.sqlite3_interrupt(connection.Handle));
    }

    private static ThreadWork Reader(string path, int stored)
    {
        var connection = Open(path);
        var select = connection.CreateCommand();
        select.CommandText = "SELECT value FROM kv WHERE name = $name";
        var name = select.Parameters.Add("$name", SqliteType.Text);
        select.Prepare();
        var random = new Random();
        return new ThreadWork(_ =>
        {
            name.Value = Key(random.Next(stored));
            using var reader = select.ExecuteReader();
            if (!reader.Read()) throw new InvalidOperationException($"row {name.Value} missing");
            var bytes = (byte[])reader.GetValue(0);
            if (bytes.Length != 0 && bytes.Length < 16) throw new InvalidOperationException("short row");
        }, new Disposables(select, connection), () => SQLitePCL.raw.sqlite3_interrupt(connection.Handle));
    }
}
