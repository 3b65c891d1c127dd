using Anvil.Storage.Sqlite;

namespace Anvil.Storage.Tests;

/// <summary>A store on a real file in a fresh temporary directory, removed on dispose.</summary>
internal sealed class TempStore : IAsyncDisposable
{
    private TempStore(string directory, SqliteStore store)
    {
        Directory = directory;
        Store = store;
    }

    public string Directory { get; }

    public string Path => System.IO.Path.Combine(Directory, "anvil.db");

    public SqliteStore Store { get; private set; }

    public static async Task<TempStore> OpenAsync(SqliteStoreOptions? options = null)
    {
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "anvil-store-" + Guid.NewGuid().ToString("N"));
        var store = await SqliteStore.OpenAsync(System.IO.Path.Combine(directory, "anvil.db"), options ?? new SqliteStoreOptions());
        return new TempStore(directory, store);
    }

    /// <summary>Closes the store and opens the same file again.</summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = await SqliteStore.OpenAsync(Path);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
