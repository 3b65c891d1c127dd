namespace Anvil.Storage.Sqlite;

/// <summary>
/// Every statement the store runs, written once (kine's habit). Prefix bounds are bound as
/// <c>$lo</c> (text) and <c>$hi</c> (a blob cast to text, so it may hold bytes that are not valid UTF-8);
/// SQLite compares text with memcmp, so <c>name &gt;= $lo AND name &lt; $hi</c> is an exact byte-prefix test.
/// </summary>
internal static class SqlText
{
    // One append-only row per change; id is the global revision. A delete is a tombstone row (deleted = 1,
    // no value); a row's previous value is the row its prev_revision names (kept until compaction has
    // passed this row, which is exactly as long as a watch may need it), so old_value is not duplicated.
    // `current` maps every live name to its newest row so that lists and counts need not group history.
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS kv(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            created INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            create_revision INTEGER NOT NULL,
            prev_revision INTEGER NOT NULL,
            value BLOB);
        CREATE INDEX IF NOT EXISTS kv_name_id ON kv(name, id);
        CREATE UNIQUE INDEX IF NOT EXISTS kv_name_prev_revision ON kv(name, prev_revision);
        CREATE TABLE IF NOT EXISTS current(name TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        """;

    public const string WriterPragmas = """
        PRAGMA journal_mode=WAL;
        PRAGMA synchronous=FULL;
        PRAGMA busy_timeout=10000;
        PRAGMA wal_autocheckpoint=0;
        PRAGMA journal_size_limit=67108864;
        """;

    public const string ReaderPragmas = """
        PRAGMA busy_timeout=10000;
        PRAGMA query_only=1;
        """;

    public const string SelectRevision = "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'kv'), 0)";

    public const string SelectCompactRevision = "SELECT COALESCE((SELECT value FROM meta WHERE key = 'compact_rev'), 0)";

    public const string Begin = "BEGIN";
    public const string BeginImmediate = "BEGIN IMMEDIATE";
    public const string Commit = "COMMIT";
    public const string Rollback = "ROLLBACK";

    /// <summary>The newest row of a name, tombstone or not.</summary>
    public const string SelectLatest =
        "SELECT id, deleted, create_revision, value FROM kv WHERE name = $name ORDER BY id DESC LIMIT 1";

    public const string Insert = """
        INSERT INTO kv(id, name, created, deleted, create_revision, prev_revision, value)
        VALUES($id, $name, $created, $deleted, $create_revision, $prev_revision, $value)
        """;

    public const string UpsertCurrent = "INSERT OR REPLACE INTO current(name, id) VALUES($name, $id)";

    public const string DeleteCurrent = "DELETE FROM current WHERE name = $name";

    // Compaction of revisions ($from, $to]: a row is dropped once its successor is at or below the compact
    // revision (a successor names it in prev_revision), and a tombstone once it is itself at or below it.
    // Rows whose successor lies above the compact revision stay: a read as of the compact revision needs them.
    public const string CompactSuperseded = """
        DELETE FROM kv WHERE id IN (
            SELECT prev_revision FROM kv WHERE id > $from AND id <= $to AND prev_revision > 0)
        """;

    public const string CompactTombstones = "DELETE FROM kv WHERE id > $from AND id <= $to AND deleted = 1";

    public const string SetCompactRevision = "INSERT OR REPLACE INTO meta(key, value) VALUES('compact_rev', $to)";

    public const string Checkpoint = "PRAGMA wal_checkpoint(PASSIVE)";

    // Lists of the newest state walk `current` in key order. Ge starts at the prefix, Gt after a key.
    private const string RangeNewestHead = """
        SELECT c.name, k.create_revision, k.id, k.value FROM current c JOIN kv k ON k.id = c.id
        """;

    public const string RangeNewestGe = RangeNewestHead +
        " WHERE c.name >= $lo AND c.name < CAST($hi AS TEXT) ORDER BY c.name LIMIT $limit";

    public const string RangeNewestGt = RangeNewestHead +
        " WHERE c.name > $lo AND c.name < CAST($hi AS TEXT) ORDER BY c.name LIMIT $limit";

    // Lists as of a past revision walk history in key order and keep, per name, the newest row at or below
    // the revision unless it is a tombstone; LIMIT stops the walk early.
    private const string RangeAtHead = """
        SELECT k.name, k.create_revision, k.id, k.value FROM kv k
        """;

    private const string RangeAtTail = """
         AND k.name < CAST($hi AS TEXT) AND k.id <= $rev AND k.deleted = 0
         AND k.id = (SELECT MAX(m.id) FROM kv m WHERE m.name = k.name AND m.id <= $rev)
         ORDER BY k.name LIMIT $limit
        """;

    public const string RangeAtGe = RangeAtHead + " WHERE k.name >= $lo" + RangeAtTail;

    public const string RangeAtGt = RangeAtHead + " WHERE k.name > $lo" + RangeAtTail;

    public const string Count = "SELECT COUNT(*) FROM current WHERE name >= $lo AND name < CAST($hi AS TEXT)";

    // History for watches in revision order. The unary + keeps SQLite on the id (rowid) range instead of
    // the name index, since watches usually start from a recent revision.
    public const string History = """
        SELECT k.id, k.name, k.created, k.deleted, k.create_revision, k.prev_revision, k.value, p.value
        FROM kv k LEFT JOIN kv p ON p.id = k.prev_revision
        WHERE k.id > $after AND +k.name >= $lo AND +k.name < CAST($hi AS TEXT)
        ORDER BY k.id LIMIT $limit
        """;
}
