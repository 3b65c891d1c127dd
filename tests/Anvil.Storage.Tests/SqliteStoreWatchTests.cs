using Anvil.Storage.Sqlite;

namespace Anvil.Storage.Tests;

public sealed class SqliteStoreWatchTests
{
    [Fact]
    public async Task WatchFromZeroReplaysHistoryThenFollowsLive()
    {
        await using var t = await TempStore.OpenAsync();
        var a = await t.Store.CreateAsync("/p/a", Bytes.Of("a1"));  // 1
        await t.Store.UpdateAsync("/p/a", Bytes.Of("a2"), a);       // 2
        await t.Store.CreateAsync("/p/b", Bytes.Of("b1"));          // 3
        await t.Store.DeleteAsync("/p/a");                          // 4
        using var cts = new CancellationTokenSource();
        await using var watch = t.Store.WatchAsync("/p/", 0, cts.Token).GetAsyncEnumerator();

        var replayed = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            replayed.Add(Bytes.Describe(await watch.NextAsync()));
        }

        Assert.Equal(
        [
            "Put /p/a@1 cur=a1/1/1 prev=<null>//",
            "Put /p/a@2 cur=a2/1/2 prev=a1/1/1",
            "Put /p/b@3 cur=b1/3/3 prev=<null>//",
            "Delete /p/a@4 cur=<null>// prev=a2/1/2",
        ], replayed);

        await t.Store.CreateAsync("/p/a", Bytes.Of("a3"));         // 5
        await t.Store.UpdateAsync("/p/b", Bytes.Of("b2"), 3);      // 6
        await t.Store.DeleteAsync("/p/b");                         // 7

        Assert.Equal("Put /p/a@5 cur=a3/5/5 prev=<null>//", Bytes.Describe(await watch.NextAsync()));
        Assert.Equal("Put /p/b@6 cur=b2/3/6 prev=b1/3/3", Bytes.Describe(await watch.NextAsync()));
        var deleted = await watch.NextAsync();
        Assert.Equal("Delete /p/b@7 cur=<null>// prev=b2/3/6", Bytes.Describe(deleted));
        Assert.False(deleted.IsCreate);
    }

    [Fact]
    public async Task WatchFromMiddleRevision()
    {
        await using var t = await TempStore.OpenAsync();
        for (var i = 1; i <= 5; i++)
        {
            await t.Store.CreateAsync($"/p/{i}", Bytes.Of($"{i}"));
        }

        await using var watch = t.Store.WatchAsync("/p/", 3).GetAsyncEnumerator();
        Assert.Equal("/p/4", (await watch.NextAsync()).Key);
        Assert.Equal("/p/5", (await watch.NextAsync()).Key);

        await t.Store.CreateAsync("/p/6", Bytes.Of("6"));
        var live = await watch.NextAsync();
        Assert.Equal(("/p/6", 6L), (live.Key, live.Revision));
        Assert.True(live.IsCreate);
    }

    [Fact]
    public async Task WatchFiltersByPrefix()
    {
        await using var t = await TempStore.OpenAsync();
        await t.Store.CreateAsync("/p/1", Bytes.Of("x"));
        await t.Store.CreateAsync("/px/1", Bytes.Of("x"));
        await t.Store.CreateAsync("/q/1", Bytes.Of("x"));
        await using var watch = t.Store.WatchAsync("/p/", 0).GetAsyncEnumerator();

        Assert.Equal("/p/1", (await watch.NextAsync()).Key);
        await t.Store.CreateAsync("/px/2", Bytes.Of("x"));
        await t.Store.CreateAsync("/q/2", Bytes.Of("x"));
        await t.Store.CreateAsync("/p/2", Bytes.Of("x"));

        var e = await watch.NextAsync();
        Assert.Equal(("/p/2", 6L), (e.Key, e.Revision));
    }

    [Fact]
    public async Task WatchAfterCurrentRevisionWaitsForLiveEvents()
    {
        await using var t = await TempStore.OpenAsync();
        await t.Store.CreateAsync("/p/1", Bytes.Of("x")); // 1
        await using var watch = t.Store.WatchAsync("/p/", 2).GetAsyncEnumerator();

        await t.Store.CreateAsync("/p/2", Bytes.Of("x")); // 2, not after 2
        await t.Store.CreateAsync("/p/3", Bytes.Of("x")); // 3

        Assert.Equal(3, (await watch.NextAsync()).Revision);
    }

    [Fact]
    public async Task WatchBelowCompactedRevisionThrowsBeforeEnumerating()
    {
        await using var t = await TempStore.OpenAsync();
        for (var i = 1; i <= 4; i++)
        {
            await t.Store.CreateAsync($"/p/{i}", Bytes.Of("x"));
        }

        await t.Store.CompactAsync(3);

        var e = Assert.Throws<CompactedException>(() => t.Store.WatchAsync("/p/", 2));
        Assert.Equal((2L, 3L), (e.Requested, e.Compacted));
        await using var watch = t.Store.WatchAsync("/p/", 3).GetAsyncEnumerator();
        Assert.Equal(4, (await watch.NextAsync()).Revision);
    }

    [Fact]
    public async Task WatchReplayAfterCompactionStillHasPreviousValues()
    {
        await using var t = await TempStore.OpenAsync();
        var r = await t.Store.CreateAsync("/p/a", Bytes.Of("a1")); // 1
        r = await t.Store.UpdateAsync("/p/a", Bytes.Of("a2"), r);  // 2
        await t.Store.UpdateAsync("/p/a", Bytes.Of("a3"), r);      // 3
        await t.Store.DeleteAsync("/p/a");                         // 4
        await t.Store.CompactAsync(2);

        await using var watch = t.Store.WatchAsync("/p/", 2).GetAsyncEnumerator();

        Assert.Equal("Put /p/a@3 cur=a3/1/3 prev=a2/1/2", Bytes.Describe(await watch.NextAsync()));
        Assert.Equal("Delete /p/a@4 cur=<null>// prev=a3/1/3", Bytes.Describe(await watch.NextAsync()));
    }

    [Fact]
    public async Task ReplayLongerThanOnePageHasNoGapsOrDuplicates()
    {
        await using var t = await TempStore.OpenAsync();
        var writes = Enumerable.Range(0, 1300).Select(i => t.Store.CreateAsync($"/p/{i:D4}", Bytes.Of("x"))).ToArray();
        await Task.WhenAll(writes);
        await using var watch = t.Store.WatchAsync("/p/", 0).GetAsyncEnumerator();

        // Live writes racing with the replay.
        var more = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                await t.Store.CreateAsync($"/p/live{i:D3}", Bytes.Of("x"));
            }
        });

        for (long expected = 1; expected <= 1500; expected++)
        {
            Assert.Equal(expected, (await watch.NextAsync()).Revision);
        }

        await more;
    }

    [Fact]
    public async Task ManyWatchersSeeEveryLiveEventInOrder()
    {
        await using var t = await TempStore.OpenAsync();
        var watches = Enumerable.Range(0, 4).Select(_ => t.Store.WatchAsync("/p/", 0).GetAsyncEnumerator()).ToList();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await t.Store.CreateAsync($"/p/{w}/{i}", Bytes.Of("x"));
            }
        })).ToArray();

        foreach (var watch in watches)
        {
            for (long expected = 1; expected <= 200; expected++)
            {
                Assert.Equal(expected, (await watch.NextAsync()).Revision);
            }
        }

        await Task.WhenAll(writers);
        foreach (var watch in watches)
        {
            await watch.DisposeAsync();
        }

        Assert.Equal(0, t.Store.WatcherCount);
    }

    [Fact]
    public async Task LaggingWatcherIsDroppedWhileWritesContinue()
    {
        await using var t = await TempStore.OpenAsync(new SqliteStoreOptions { WatchQueueCapacity = 4 });
        await using var slow = t.Store.WatchAsync("/p/", 0).GetAsyncEnumerator();
        await using var other = t.Store.WatchAsync("/q/", 0).GetAsyncEnumerator();
        await t.Store.CreateAsync("/p/0", Bytes.Of("x"));
        Assert.Equal(1, (await slow.NextAsync()).Revision); // now subscribed and in the live phase
        await t.Store.CreateAsync("/q/0", Bytes.Of("x"));
        Assert.Equal(2, (await other.NextAsync()).Revision);

        for (var i = 1; i <= 20; i++)
        {
            await t.Store.CreateAsync($"/p/{i}", Bytes.Of("x")); // would block forever if writers waited
        }

        Assert.Equal(22, t.Store.CurrentRevision);
        var seen = 0;
        await Assert.ThrowsAsync<WatchLaggedException>(async () =>
        {
            while (await slow.MoveNextAsync())
            {
                seen++;
            }
        });
        Assert.InRange(seen, 1, 4);

        // The other watcher is unaffected.
        await t.Store.CreateAsync("/q/1", Bytes.Of("x"));
        Assert.Equal(23, (await other.NextAsync()).Revision);
    }

    [Fact]
    public async Task CancellingAWatchUnsubscribes()
    {
        await using var t = await TempStore.OpenAsync();
        using var cts = new CancellationTokenSource();
        var watch = t.Store.WatchAsync("/p/", 0, cts.Token).GetAsyncEnumerator();
        var next = watch.MoveNextAsync().AsTask();
        for (var i = 0; i < 1000 && t.Store.WatcherCount == 0; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1, t.Store.WatcherCount);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => next);
        await watch.DisposeAsync();
        Assert.Equal(0, t.Store.WatcherCount);
    }

    [Fact]
    public async Task DisposingTheStoreEndsWatches()
    {
        await using var t = await TempStore.OpenAsync();
        await t.Store.CreateAsync("/p/1", Bytes.Of("x"));
        await using var watch = t.Store.WatchAsync("/p/", 0).GetAsyncEnumerator();
        Assert.Equal(1, (await watch.NextAsync()).Revision);

        await t.Store.DisposeAsync();

        Assert.False(await watch.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60)));
    }
}
