using Anvil.Node.Images;
using Anvil.Node.Network;
using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

/// <summary>
/// A runtime on a real CNI bridge network with a per-run prefix (netns, bridge, CNI ids) and a random /24 pod
/// CIDR; disposing removes the containers, sandboxes, namespaces, bridge and iptables rules of this run.
/// </summary>
public sealed class PodNetworkFixture : IAsyncLifetime
{
    public static readonly string? Unavailable = RuncRuntime.Unavailable() ?? CniNetwork.Unavailable();

    public string Dir { get; } = Directory.CreateTempSubdirectory("anvil-net-").FullName;
    public string Prefix { get; } = "anvt" + Guid.NewGuid().ToString("N")[..6];
    public PodNetworkOptions Options { get; }
    public CniNetwork Network { get; private set; } = null!;
    public RuncRuntime Runtime { get; private set; } = null!;
    public ImageStore Images { get; private set; } = null!;

    public PodNetworkFixture()
    {
        Options = new PodNetworkOptions { Prefix = Prefix, PodCidr = $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(0, 256)}.0/24" };
    }

    public Task InitializeAsync()
    {
        Images = new ImageStore(Dir);
        if (Unavailable != null) return Task.CompletedTask;
        Network = new CniNetwork(Dir, Options);
        Runtime = new RuncRuntime(Dir, Prefix, Network);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (Unavailable == null)
        {
            foreach (var c in await Runtime.ListContainersAsync(null, CancellationToken.None))
                await Runtime.RemoveContainerAsync(c.Id, CancellationToken.None);
            foreach (var uid in Network.List())
            {
                try { await Runtime.StopPodSandboxAsync(uid, CancellationToken.None); }
                catch (IOException) { }
            }
            await NetworkCleanup.RemoveAsync(Options, null);
        }
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
