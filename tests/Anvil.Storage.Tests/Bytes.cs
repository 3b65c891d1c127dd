using System.Text;

namespace Anvil.Storage.Tests;

internal static class Bytes
{
    public static ReadOnlyMemory<byte> Of(string s) => Encoding.UTF8.GetBytes(s);

    public static string Text(this KeyValue? kv) => kv == null ? "<null>" : Encoding.UTF8.GetString(kv.Value.Span);

    /// <summary>Next item of a watch, failing the test instead of hanging when none comes.</summary>
    public static async Task<WatchEvent> NextAsync(this IAsyncEnumerator<WatchEvent> watch)
    {
        Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60)), "watch ended");
        return watch.Current;
    }

    public static string Describe(WatchEvent e) =>
        $"{e.Type} {e.Key}@{e.Revision} cur={e.Current.Text()}/{e.Current?.CreateRevision}/{e.Current?.ModRevision} " +
        $"prev={e.Previous.Text()}/{e.Previous?.CreateRevision}/{e.Previous?.ModRevision}";
}
