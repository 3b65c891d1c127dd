using Anvil.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Anvil.Storage.Tests;

public sealed class SqliteStoreTests
{
    [Fact]
    public async Task CreateThenGet()
    {
        await using var t = await TempStore.OpenAsync();
        var s = t.Store;
        Assert.Equal(0, s.CurrentRevision);
        Assert.Null(await s.GetAsync("/registry/pods/ns/a"));

        var rev = await s.CreateAsync("/registry/pods/ns/a", Bytes.Of("one"));

        Assert.Equal(1, rev);
        Assert.Equal(1, s.CurrentRevision);
        var kv = await s.GetAsync("/registry/pods/ns/a");
        Assert.NotNull(kv);
        Assert.Equal(("/registry/pods/ns/a", "one", 1L, 1L), (kv.Key, kv.Text(), kv.CreateRevision, kv.ModRevision));
    }

    [Fact]
    public async Task CreateOfExistingKeyThrowsKeyExists()
    {
        await using var t = await TempStore.OpenAsync();
        await t.Store.CreateAsync("/k", Bytes.Of("one"));

        var e = await Assert.ThrowsAsync<KeyExistsException>(() => t.Store.CreateAsync("/k", Bytes.Of("two")));

        Assert.Equal("/k", e.Key);
        Assert.Equal("key exists: /k", e.Message);
        Assert.Equal("one", (await t.Store.GetAsync("/k")).Text());
        Assert.Equal(1, t.Store.CurrentRevision); // a failed write takes no revision
    }

    [Fact]
    public async Task UpdateWithCurrentRevisionReplacesValue()
    {
        await using var t = await TempStore.OpenAsync();
        var created = await t.Store.CreateAsync("/k", Bytes.Of("one"));
        await t.Store.CreateAsync("/other", Bytes.Of("x"));

        var rev = await t.Store.UpdateAsync("/k", Bytes.Of("two"), created);

        Assert.Equal(3, rev);
        var kv = await t.Store.GetAsync("/k");
        Assert.Equal(("two", 1L, 3L), (kv.Text(), kv!.CreateRevision, kv.ModRevision));
    }

    [Fact]
    public async Task UpdateWithStaleRevisionThrowsConflictCarryingCurrent()
    {
        await using var t = await TempStore.OpenAsync();
        var r1 = await t.Store.CreateAsync("/k", Bytes.Of("one"));
        var r2 = await t.Store.UpdateAsync("/k", Bytes.Of("two"), r1);

        var e = await Assert.ThrowsAsync<RevisionConflictException>(() => t.Store.UpdateAsync("/k", Bytes.Of("three"), r1));

        Assert.Equal("/k", e.Key);
        Assert.NotNull(e.Current);
        Assert.Equal(("two", r1, r2), (e.Current.Text(), e.Current!.CreateRevision, e.Current.ModRevision));
        Assert.Equal(r2, t.Store.CurrentRevision);
    }

    [Fact]
    public async Task UpdateOfMissingKeyThrowsKeyNotFound()
    {
        await using var t = await TempStore.OpenAsync();

        var e = await Assert.ThrowsAsync<KeyNotFoundException>(() => t.Store.UpdateAsync("/missing", Bytes.Of("x"), 1));

        Assert.Equal("key not found: /missing", e.Message);
    }

    [Fact]
    public async Task DeleteReturnsLastValueAndRemovesKey()
    {
        await using var t = await TempStore.OpenAsync();
        var r1 = await t.Store.CreateAsync("/k", Bytes.Of("one"));
        var r2 = await t.Store.UpdateAsync("/k", Bytes.Of("two"), r1);

        var (rev, deleted) = await t.Store.DeleteAsync("/k");

        Assert.Equal(3, rev);
        Assert.Equal(("/k", "two", r1, r2), (deleted.Key, deleted.Text(), deleted.CreateRevision, deleted.ModRevision));
        Assert.Null(await t.Store.GetAsync("/k"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => t.Store.DeleteAsync("/k"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => t.Store.UpdateAsync("/k", Bytes.Of("x"), rev));
    }

    [Fact]
    public async Task GuardedDelete()
    {
        await using var t = await TempStore.OpenAsync();
        var r1 = await t.Store.CreateAsync("/k", Bytes.Of("one"));
        var r2 = await t.Store.UpdateAsync("/k", Bytes.Of("two"), r1);

        var e = await Assert.ThrowsAsync<RevisionConflictException>(() => t.Store.DeleteAsync("/k", r1));
        Assert.Equal(r2, e.Current!.ModRevision);
        Assert.NotNull(await t.Store.GetAsync("/k"));

        var (rev, deleted) = await t.Store.DeleteAsync("/k", r2);
        Assert.Equal((3L, "two"), (rev, deleted.Text()));
    }

    [Fact]
    public async Task RecreateAfterDeleteStartsNewLife()
    {
        await using var t = await TempStore.OpenAsync();
        await t.Store.CreateAsync("/k", Bytes.Of("one"));
        await t.Store.DeleteAsync("/k");

        var rev = await t.Store.CreateAsync("/k", Bytes.Of("again"));

        Assert.Equal(3, rev);
        var kv = await t.Store.GetAsync("/k");
        Assert.Equal(("again", 3L, 3L), (kv.Text(), kv!.CreateRevision, kv.ModRevision));
    }

    [Fact]
    public async Task OneGlobalRevisionAcrossKeys()
    {
        await using var t = await TempStore.OpenAsync();
        var revisions = new List<long>
        {
            await t.Store.CreateAsync("/a", Bytes.Of("1")),
            await t.Store.CreateAsync("/b", Bytes.Of("1")),
        };
        await Assert.ThrowsAsync<KeyExistsException>(() => t.Store.CreateAsync("/a", Bytes.Of("1")));
        revisions.Add(await t.Store.UpdateAsync("/a", Bytes.Of("2"), revisions[0]));
        revisions.Add((await t.Store.DeleteAsync("/b")).Revision);
        revisions.Add(await t.Store.CreateAsync("/c", Bytes.Of("1")));

        Assert.Equal([1L, 2, 3, 4, 5], revisions);
        Assert.Equal(5, t.Store.CurrentRevision);
    }

    [Fact]
    public async Task ValueIsCopiedAtWrite()
    {
        await using var t = await TempStore.OpenAsync();
        var buffer = "abc"u8.ToArray();
        await t.Store.CreateAsync("/k", buffer);
        buffer[0] = (byte)'X';

        Assert.Equal("abc", (await t.Store.GetAsync("/k")).Text());
    }

    [Fact]
    public async Task EmptyValueRoundTrips()
    {
        await using var t = await TempStore.OpenAsync();
        await t.Store.CreateAsync("/k", ReadOnlyMemory<byte>.Empty);

        var kv = await t.Store.GetAsync("/k");

        Assert.NotNull(kv);
        Assert.Equal(0, kv.Value.Length);
    }

    [Fact]
    public async Task EmptyKeyIsRejected()
    {
        await using var t = await TempStore.OpenAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => t.Store.CreateAsync("", Bytes.Of("x")));
    }

    [Theory]
    [InlineData("/registry/pods/", new[] { "/registry/pods/a/1", "/registry/pods/a/2", "/registry/pods/b/1" })]
    [InlineData("/registry/pods/a/", new[] { "/registry/pods/a/1", "/registry/pods/a/2" })]
    [InlineData("/registry/pods", new[] { "/registry/pods/a/1", "/registry/pods/a/2", "/registry/pods/b/1", "/registry/podsx/1" })]
    [InlineData("/registry/p%/", new[] { "/registry/p%/1" })]
    [InlineData("/registry/p_d", new[] { "/registry/p_d/1" })]
    [InlineData("/registry/é/", new[] { "/registry/é/1" })]
    [InlineData("/nothing/", new string[0])]
    [InlineData("", new[] { "/registry/p%/1", "/registry/p_d/1", "/registry/pods/a/1", "/registry/pods/a/2", "/registry/pods/b/1", "/registry/podsx/1", "/registry/é/1", "/registry/éa/1" })]
    public async Task RangeIsAnExactBytePrefixInKeyOrder(string prefix, string[] expected)
    {
        await using var t = await TempStore.OpenAsync();
        foreach (var key in new[] { "/registry/pods/b/1", "/registry/podsx/1", "/registry/pods/a/2", "/registry/pods/a/1",
                     "/registry/p%/1", "/registry/p_d/1", "/registry/é/1", "/registry/éa/1" })
        {
            await t.Store.CreateAsync(key, Bytes.Of(key));
        }

        var result = await t.Store.RangeAsync(prefix);

        Assert.Equal(expected, result.Items.Select(i => i.Key));
        Assert.All(result.Items, i => Assert.Equal(i.Key, i.Text()));
        Assert.Equal(8, result.Revision);
        Assert.False(result.More);
        Assert.Equal(expected.Length, await t.Store.CountAsync(prefix));
    }

    [Fact]
    public async Task RangeLeavesOutDeletedKeysAndShowsNewestValues()
    {
        await using var t = await TempStore.OpenAsync();
        var a = await t.Store.CreateAsync("/p/a", Bytes.Of("a1"));
        await t.Store.CreateAsync("/p/b", Bytes.Of("b1"));
        await t.Store.UpdateAsync("/p/a", Bytes.Of("a2"), a);
        await t.Store.DeleteAsync("/p/b");

        var result = await t.Store.RangeAsync("/p/");

        var item = Assert.Single(result.Items);
        Assert.Equal(("/p/a", "a2", 1L, 3L), (item.Key, item.Text(), item.CreateRevision, item.ModRevision));
        Assert.Equal(4, result.Revision);
        Assert.Equal(1, await t.Store.CountAsync("/p/"));
    }

    [Fact]
    public async Task RangePagesWithLimitAndStartAfterKey()
    {
        await using var t = await TempStore.OpenAsync();
        for (var i = 0; i < 5; i++)
        {
            await t.Store.CreateAsync($"/p/{i}", Bytes.Of($"v{i}"));
        }

        await t.Store.CreateAsync("/q/0", Bytes.Of("other"));

        var page1 = await t.Store.RangeAsync("/p/", limit: 2);
        Assert.Equal(["/p/0", "/p/1"], page1.Items.Select(i => i.Key));
        Assert.True(page1.More);
        Assert.Equal(6, page1.Revision);

        // Writes between pages must not show: the next pages read at the first page's revision.
        await t.Store.UpdateAsync("/p/3", Bytes.Of("changed"), 4);
        await t.Store.CreateAsync("/p/5", Bytes.Of("late"));

        var page2 = await t.Store.RangeAsync("/p/", page1.Revision, page1.Items[^1].Key, 2);
        Assert.Equal(["/p/2", "/p/3"], page2.Items.Select(i => i.Key));
        Assert.Equal("v3", page2.Items[1].Text());
        Assert.True(page2.More);
        Assert.Equal(6, page2.Revision);

        var page3 = await t.Store.RangeAsync("/p/", page2.Revision, page2.Items[^1].Key, 2);
        Assert.Equal(["/p/4"], page3.Items.Select(i => i.Key));
        Assert.False(page3.More);

        var exact = await t.Store.RangeAsync("/p/", limit: 6);
        Assert.Equal(6, exact.Items.Count);
        Assert.False(exact.More);

        var newest = await t.Store.RangeAsync("/p/", startAfterKey: "/p/3", limit: 1);
        Assert.Equal(["/p/4"], newest.Items.Select(i => i.Key));
        Assert.True(newest.More);
    }

    [Theory]
    [InlineData("/a", new[] { "/p/0", "/p/1" })]  // before the prefix: start at the prefix
    [InlineData("/p/", new[] { "/p/0", "/p/1" })] // the prefix itself is not a key here
    [InlineData("/p/0", new[] { "/p/1" })]
    [InlineData("/p/1", new string[0])]
    [InlineData("/z", new string[0])]
    public async Task StartAfterKeyAnywhere(string startAfter, string[] expected)
    {
        await using var t = await TempStore.OpenAsync();
        await t.Store.CreateAsync("/a/0", Bytes.Of("x"));
        await t.Store.CreateAsync("/p/0", Bytes.Of("x"));
        await t.Store.CreateAsync("/p/1", Bytes.Of("x"));
        await t.Store.CreateAsync("/q/0", Bytes.Of("x"));

        Assert.Equal(expected, (await t.Store.RangeAsync("/p/", 0, startAfter)).Items.Select(i => i.Key));
        Assert.Equal(expected, (await t.Store.RangeAsync("/p/", 4, startAfter)).Items.Select(i => i.Key));
    }

    [Fact]
    public async Task RangeAtPastRevision()
    {
        await using var t = await TempStore.OpenAsync();
        var a1 = await t.Store.CreateAsync("/p/a", Bytes.Of("a1")); // 1
        await t.Store.CreateAsync("/p/b", Bytes.Of("b1"));          // 2
        await t.Store.UpdateAsync("/p/a", Bytes.Of("a2"), a1);      // 3
        await t.Store.DeleteAsync("/p/b");                          // 4
        await t.Store.CreateAsync("/p/c", Bytes.Of("c1"));          // 5
        await t.Store.CreateAsync("/p/b", Bytes.Of("b2"));          // 6

        string Show(RangeResult r) => string.Join(",", r.Items.Select(i => $"{i.Key}={i.Text()}@{i.CreateRevision}/{i.ModRevision}"));

        Assert.Equal("/p/a=a1@1/1", Show(await t.Store.RangeAsync("/p/", 1)));
        Assert.Equal("/p/a=a1@1/1,/p/b=b1@2/2", Show(await t.Store.RangeAsync("/p/", 2)));
        Assert.Equal("/p/a=a2@1/3,/p/b=b1@2/2", Show(await t.Store.RangeAsync("/p/", 3)));
        Assert.Equal("/p/a=a2@1/3", Show(await t.Store.RangeAsync("/p/", 4)));
        Assert.Equal("/p/a=a2@1/3,/p/c=c1@5/5", Show(await t.Store.RangeAsync("/p/", 5)));
        Assert.Equal("/p/a=a2@1/3,/p/b=b2@6/6,/p/c=c1@5/5", Show(await t.Store.RangeAsync("/p/", 6)));
        Assert.Equal(Show(await t.Store.RangeAsync("/p/", 6)), Show(await t.Store.RangeAsync("/p/")));
        Assert.Equal(3, (await t.Store.RangeAsync("/p/", 3)).Revision);

        var paged = await t.Store.RangeAsync("/p/", 3, limit: 1);
        Assert.Equal("/p/a=a2@1/3", Show(paged));
        Assert.True(paged.More);
    }

    [Fact]
    public async Task RangeAtFutureRevisionIsRejected()
    {
        await using var t = await TempStore.OpenAsync();
        await t.Store.CreateAsync("/k", Bytes.Of("x"));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => t.Store.RangeAsync("/", 2));
    }

    [Fact]
    public async Task CompactionKeepsCurrentValuesAndReadsAtOrAboveIt()
    {
        await using var t = await TempStore.OpenAsync();
        var a = await t.Store.CreateAsync("/p/a", Bytes.Of("a1"));  // 1
        await t.Store.CreateAsync("/p/b", Bytes.Of("b1"));          // 2
        a = await t.Store.UpdateAsync("/p/a", Bytes.Of("a2"), a);   // 3
        await t.Store.DeleteAsync("/p/b");                          // 4
        await t.Store.CreateAsync("/p/c", Bytes.Of("c1"));          // 5
        await t.Store.UpdateAsync("/p/a", Bytes.Of("a3"), a);       // 6
        var at4 = Keys(await t.Store.RangeAsync("/p/", 4));
        var at5 = Keys(await t.Store.RangeAsync("/p/", 5));

        await t.Store.CompactAsync(4);

        Assert.Equal(4, t.Store.CompactedRevision);
        var e = await Assert.ThrowsAsync<CompactedException>(() => t.Store.RangeAsync("/p/", 3));
        Assert.Equal((3L, 4L), (e.Requested, e.Compacted));
        Assert.Equal("required revision 3 has been compacted (oldest available: 4)", e.Message);
        Assert.Equal(at4, Keys(await t.Store.RangeAsync("/p/", 4)));
        Assert.Equal(at5, Keys(await t.Store.RangeAsync("/p/", 5)));
        Assert.Equal("a3", (await t.Store.GetAsync("/p/a")).Text());
        // Rows 1 (superseded by 3), 2 (superseded by the tombstone 4) and the tombstone 4 are gone;
        // 3 stays because a read at 4 or 5 needs it.
        Assert.Equal([3L, 5, 6], RowIds(t.Path));

        await t.Store.CompactAsync(6);
        Assert.Equal([5L, 6], RowIds(t.Path));
        Assert.Equal("/p/a=a3,/p/c=c1", Keys(await t.Store.RangeAsync("/p/")));
        Assert.Equal(2, await t.Store.CountAsync("/p/"));

        // The next revision follows on, and an older compaction is a no-op.
        await t.Store.CompactAsync(2);
        Assert.Equal(6, t.Store.CompactedRevision);
        Assert.Equal(7, await t.Store.CreateAsync("/p/d", Bytes.Of("d1")));
    }

    [Fact]
    public async Task CompactionInSmallStepsRemovesTheSameRows()
    {
        await using var t = await TempStore.OpenAsync(new SqliteStoreOptions { CompactionStep = 2 });
        var rev = await t.Store.CreateAsync("/k", Bytes.Of("0"));
        for (var i = 1; i < 10; i++)
        {
            rev = await t.Store.UpdateAsync("/k", Bytes.Of($"{i}"), rev);
        }

        await t.Store.CompactAsync(9);

        Assert.Equal([9L, 10], RowIds(t.Path));
        Assert.Equal("8", (await t.Store.RangeAsync("/", 9)).Items.Single().Text());
    }

    [Fact]
    public async Task CompactToFutureRevisionIsRejected()
    {
        await using var t = await TempStore.OpenAsync();
        await t.Store.CreateAsync("/k", Bytes.Of("x"));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => t.Store.CompactAsync(2));
        Assert.Equal(0, t.Store.CompactedRevision);
    }

    [Fact]
    public async Task ReopenKeepsDataRevisionAndCompaction()
    {
        await using var t = await TempStore.OpenAsync();
        var a = await t.Store.CreateAsync("/p/a", Bytes.Of("a1"));
        await t.Store.UpdateAsync("/p/a", Bytes.Of("a2"), a);
        await t.Store.CreateAsync("/p/b", Bytes.Of("b1"));
        await t.Store.DeleteAsync("/p/b"); // 4: the newest row is a tombstone
        await t.Store.CompactAsync(4);     // ... and compaction removes it

        await t.ReopenAsync();

        Assert.Equal(4, t.Store.CurrentRevision);
        Assert.Equal(4, t.Store.CompactedRevision);
        var kv = await t.Store.GetAsync("/p/a");
        Assert.Equal(("a2", 1L, 2L), (kv.Text(), kv!.CreateRevision, kv.ModRevision));
        Assert.Null(await t.Store.GetAsync("/p/b"));
        await Assert.ThrowsAsync<CompactedException>(() => t.Store.RangeAsync("/p/", 3));
        Assert.Equal(5, await t.Store.CreateAsync("/p/b", Bytes.Of("b2")));
        Assert.Equal(5, t.Store.CurrentRevision);
    }

    [Fact]
    public async Task WriteQueuedBeforeDisposeIsDurable()
    {
        await using var t = await TempStore.OpenAsync();
        var writes = Enumerable.Range(0, 50).Select(i => t.Store.CreateAsync($"/k/{i:D2}", Bytes.Of($"{i}"))).ToArray();

        await t.Store.DisposeAsync(); // drains the queue before closing
        var revisions = await Task.WhenAll(writes);
        await t.ReopenAsync();

        Assert.Equal(50, revisions.Distinct().Count());
        Assert.Equal(50, t.Store.CurrentRevision);
        Assert.Equal(50, await t.Store.CountAsync("/k/"));
    }

    [Fact]
    public async Task SecondOpenOfTheSameFileIsRefused()
    {
        await using var t = await TempStore.OpenAsync();

        var e = await Assert.ThrowsAsync<IOException>(() => SqliteStore.OpenAsync(t.Path));

        Assert.Equal($"the store {t.Path} is in use by another process", e.Message);
        await t.ReopenAsync(); // released by DisposeAsync
    }

    [Fact]
    public async Task AcknowledgedWritesAreInTheFilesWithoutAnOrderlyClose()
    {
        // What kill -9 leaves behind: the database and WAL files as they are while the store still runs.
        await using var t = await TempStore.OpenAsync();
        var r = await t.Store.CreateAsync("/k", Bytes.Of("one"));
        await t.Store.UpdateAsync("/k", Bytes.Of("two"), r);
        await t.Store.CreateAsync("/j", Bytes.Of("three"));
        var copy = System.IO.Path.Combine(t.Directory, "copy.db");
        File.Copy(t.Path, copy);
        File.Copy(t.Path + "-wal", copy + "-wal");

        await using var recovered = await SqliteStore.OpenAsync(copy);

        Assert.Equal(3, recovered.CurrentRevision);
        Assert.Equal("two", (await recovered.GetAsync("/k")).Text());
        Assert.Equal("three", (await recovered.GetAsync("/j")).Text());
    }

    [Fact]
    public async Task UseAfterDisposeThrows()
    {
        await using var t = await TempStore.OpenAsync();
        await t.Store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => t.Store.CreateAsync("/k", Bytes.Of("x")));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => t.Store.GetAsync("/k"));
        Assert.Throws<ObjectDisposedException>(() => t.Store.WatchAsync("/", 0));
    }

    [Fact]
    public async Task CancelledWriteIsNotApplied()
    {
        await using var t = await TempStore.OpenAsync();
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t.Store.CreateAsync("/k", Bytes.Of("x"), cts.Token));

        Assert.Null(await t.Store.GetAsync("/k"));
        Assert.Equal(0, t.Store.CurrentRevision);
    }

    [Fact]
    public async Task DatabaseUsesWalWithFullSync()
    {
        await using var t = await TempStore.OpenAsync();
        await t.Store.CreateAsync("/k", Bytes.Of("x"));

        using var connection = new SqliteConnection($"Data Source={t.Path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    [Fact]
    public async Task AutoCompactionKeepsNewestRevisions()
    {
        await using var t = await TempStore.OpenAsync();
        var rev = await t.Store.CreateAsync("/k", Bytes.Of("0"));
        for (var i = 1; i < 20; i++)
        {
            rev = await t.Store.UpdateAsync("/k", Bytes.Of($"{i}"), rev);
        }

        t.Store.StartAutoCompaction(TimeSpan.FromMilliseconds(20), keepRevisions: 5);
        Assert.Throws<InvalidOperationException>(() => t.Store.StartAutoCompaction(TimeSpan.FromSeconds(1), 5));

        // Bounded wait for the background loop (not a timing assertion).
        for (var i = 0; i < 3000 && t.Store.CompactedRevision == 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(15, t.Store.CompactedRevision);
        Assert.Null(t.Store.LastAutoCompactionError);
        Assert.Equal("19", (await t.Store.GetAsync("/k")).Text());
    }

    private static string Keys(RangeResult r) => string.Join(",", r.Items.Select(i => $"{i.Key}={i.Text()}"));

    private static List<long> RowIds(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM kv ORDER BY id";
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }
}
