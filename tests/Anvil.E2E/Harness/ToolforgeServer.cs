namespace Anvil.E2E.Harness;

/// <summary>
/// An <c>anvil up</c> (no node) whose tool homes and users' homes are temporary directories, world-traversable
/// like /data/project and /home so that a tool's uid can reach its own home.
/// </summary>
public sealed class ToolforgeServer : AnvilServer, IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("anvil-e2e-toolforge-").FullName;

    public string Homes => Path.Combine(Root, "project");

    public string UsersHome => Path.Combine(Root, "home");

    public ToolforgeServer()
    {
        Directory.CreateDirectory(Homes);
        Directory.CreateDirectory(UsersHome);
        foreach (var d in new[] { Root, Homes, UsersHome }) File.SetUnixFileMode(d, (UnixFileMode)0b111_101_101);
    }

    protected override IEnumerable<string> ExtraArgs => ["--homes", Homes, "--users-home", UsersHome];

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
