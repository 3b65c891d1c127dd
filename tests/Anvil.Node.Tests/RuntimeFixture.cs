using Anvil.Node.Images;
using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

/// <summary>
/// A data dir, an image store and a runtime whose container ids carry a per-run prefix; disposing removes every
/// container of this run (runc delete -f, bundles), also when tests failed.
/// </summary>
public sealed class RuntimeFixture : IAsyncLifetime
{
    public static readonly string? Unavailable = RuncRuntime.Unavailable();

    public string Dir { get; } = Directory.CreateTempSubdirectory("anvil-node-").FullName;
    public string Prefix { get; } = "anviltest" + Guid.NewGuid().ToString("N")[..8];
    public RuncRuntime Runtime { get; private set; } = null!;
    public ImageStore Images { get; private set; } = null!;

    public Task InitializeAsync()
    {
        if (Unavailable == null) Runtime = new RuncRuntime(Dir, Prefix);
        Images = new ImageStore(Dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("ANVIL_NODE_KEEP") != null) return;
        if (Runtime != null)
        {
            var containers = await Runtime.ListContainersAsync(null, CancellationToken.None);
            foreach (var c in containers)
                await Runtime.RemoveContainerAsync(c.Id, CancellationToken.None);
            // The pods' cgroup parents (runc removes only the containers' own).
            foreach (var uid in containers.Select(c => c.PodUid).Append("pod-" + Prefix).Distinct())
                await Runtime.StopPodSandboxAsync(uid, CancellationToken.None);
        }
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
