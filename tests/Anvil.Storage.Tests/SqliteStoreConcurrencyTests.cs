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
}
