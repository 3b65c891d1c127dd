using Anvil.Storage.Sqlite;

namespace Anvil.Storage.Tests;

public sealed class SqliteStoreConcurrencyTests
{
    [Fact]
    public async Task ConcurrentCreatesGetDistinctRevisionsAndAreAllReadable()
    {
        await using var t = await TempStore.OpenAsync();
        const int Workers = 32, PerWorker = 20;
        var value = new byte[1024];

        var results = await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var revisions = new List<(string Key, long Revision)>();
            for (var i = 0; i < PerWorker; i++)
            {
                var key = $"/registry/configmaps/ns/w{w:D2}-{i:D2}";
                revisions.Add((key, await t.Store.CreateAsync(key, value)));
            }

            return revisions;
        })));

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(Workers * PerWorker, all.Select(r => r.Revision).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, Workers * PerWorker).Select(i => (long)i), all.Select(r => r.Revision).Order());
        Assert.Equal(Workers * PerWorker, t.Store.CurrentRevision);
        foreach (var (key, revision) in all)
        {
            var kv = await t.Store.GetAsync(key);
            Assert.NotNull(kv);
            Assert.Equal((revision, revision, 1024), (kv.CreateRevision, kv.ModRevision, kv.Value.Length));
        }

        var list = await t.Store.RangeAsync("/registry/configmaps/");
        Assert.Equal(Workers * PerWorker, list.Items.Count);
    }

    [Fact]
    public async Task ConcurrentGuardedUpdatesOfOneKeyHaveOneWinnerPerRound()
    {
        await using var t = await TempStore.OpenAsync();
        var revision = await t.Store.CreateAsync("/k", Bytes.Of("start"));
        const int Contenders = 32, Rounds = 10;

        for (var round = 0; round < Rounds; round++)
        {
            var expected = revision;
            var attempts = await Task.WhenAll(Enumerable.Range(0, Contenders).Select(c => Task.Run(async () =>
            {
                try
                {
                    return (Won: true, Revision: await t.Store.UpdateAsync("/k", Bytes.Of($"{round}/{c}"), expected));
                }
                catch (RevisionConflictException e)
                {
                    return (Won: false, Revision: e.Current!.ModRevision);
                }
            })));

            var winner = Assert.Single(attempts, a => a.Won);
            Assert.All(attempts, a => Assert.Equal(winner.Revision, a.Revision)); // losers see the winner's write
            revision = winner.Revision;
        }

        Assert.Equal(1 + Rounds, t.Store.CurrentRevision);
    }

    [Fact]
    public async Task WatchesListsAndCompactionStayConsistentUnderConcurrentWrites()
    {
        await using var t = await TempStore.OpenAsync(new SqliteStoreOptions { CompactionStep = 7 });
        const int Keys = 16, Writers = 8, WritesPerWriter = 60;
        using var stopWatching = new CancellationTokenSource();
        var done = new TaskCompletionSource<long>();
        var live = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A watcher from the start, consuming as a client would, rebuilds the state from events alone.
        var state = new Dictionary<string, KeyValue>();
        var watcher = Task.Run(async () =>
        {
            long last = 0;
            await foreach (var e in t.Store.WatchAsync("/k/", 0, stopWatching.Token))
            {
                Assert.True(e.Revision > last);
                last = e.Revision;
                live.TrySetResult();
                state.TryGetValue(e.Key, out var before);
                Assert.Equal(before?.ModRevision, e.Previous?.ModRevision); // no event of a key was missed
                if (e.Type == WatchEventType.Delete)
                {
                    state.Remove(e.Key);
                }
                else
                {
                    state[e.Key] = e.Current!;
                }

                if (done.Task.IsCompleted && last >= done.Task.Result)
                {
                    return;
                }
            }
        });

        // Compaction must not overtake the watcher's (empty) replay: start writing once it follows live events.
        await t.Store.CreateAsync("/k/first", Bytes.Of("x"));
        await live.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (var i = 0; i < WritesPerWriter; i++)
            {
                var key = $"/k/{random.Next(Keys):D2}";
                var current = await t.Store.GetAsync(key);
                try
                {
                    if (current == null)
                    {
                        await t.Store.CreateAsync(key, Bytes.Of($"{w}/{i}"));
                    }
                    else if (random.Next(4) == 0)
                    {
                        await t.Store.DeleteAsync(key, current.ModRevision);
                    }
                    else
                    {
                        await t.Store.UpdateAsync(key, Bytes.Of($"{w}/{i}"), current.ModRevision);
                    }
                }
                catch (Exception e) when (e is KeyExistsException or KeyNotFoundException or RevisionConflictException)
                {
                }
            }
        })).ToArray();

        var compactor = Task.Run(async () =>
        {
            while (!writers.All(w => w.IsCompleted))
            {
                var target = t.Store.CurrentRevision - 10;
                if (target > t.Store.CompactedRevision)
                {
                    await t.Store.CompactAsync(target);
                }

                await Task.Yield();
            }
        });

        var lister = Task.Run(async () =>
        {
            var lists = 0;
            while (lists == 0 || !writers.All(w => w.IsCompleted))
            {
                try
                {
                    var page = await t.Store.RangeAsync("/k/", limit: 5);
                    var items = page.Items.ToList();
                    while (page.More)
                    {
                        page = await t.Store.RangeAsync("/k/", page.Revision, page.Items[^1].Key, 5);
                        items.AddRange(page.Items);
                    }

                    Assert.All(items, i => Assert.True(i.ModRevision <= page.Revision));
                    Assert.Equal(items.Select(i => i.Key).Order(StringComparer.Ordinal), items.Select(i => i.Key));
                    lists++;
                }
                catch (CompactedException)
                {
                    // A later page fell behind compaction: the client re-lists.
                }
            }

            return lists;
        });

        await Task.WhenAll(writers);
        await compactor;
        Assert.True(await lister > 0);
        done.SetResult(t.Store.CurrentRevision);
        await t.Store.CreateAsync("/k/last", Bytes.Of("x")); // wakes the watcher if it is idle
        await watcher.WaitAsync(TimeSpan.FromSeconds(60));
        state.Remove("/k/last");
        await t.Store.DeleteAsync("/k/last");

        var final = await t.Store.RangeAsync("/k/");
        Assert.Equal(
            final.Items.Select(i => $"{i.Key}@{i.ModRevision}={i.Text()}"),
            state.Values.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => $"{i.Key}@{i.ModRevision}={i.Text()}"));
        Assert.Equal(final.Items.Count, await t.Store.CountAsync("/k/"));
    }
}
