using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Anvil.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Client.Tests;

public sealed class InformerFactoryTests : IDisposable
{
    private static readonly ResourceRef Pods = new("", "v1", "pods", true);
    private static readonly ResourceRef Jobs = new("batch", "v1", "jobs", true);

    // Nothing listens here: informers that run only retry, which is all these tests need.
    private readonly KubeClient _client = NewClient();

    public void Dispose() => _client.Dispose();

    [Fact]
    public void For_SameKey_ReturnsTheSameInformer()
    {
        var factory = new InformerFactory(_client, NullLogger.Instance);

        var a = factory.For(Pods);
        var b = factory.For(new ResourceRef("", "v1", "pods", true));

        Assert.Same(a, b);
        Assert.Equal(Pods, a.Resource);
        Assert.Same(factory.For(Pods, "ns", "labelSelector=a%3Db"), factory.For(Pods, "ns", "labelSelector=a%3Db"));
    }

    [Theory]
    [InlineData("jobs", "", "")]
    [InlineData("pods", "ns", "")]
    [InlineData("pods", "", "fieldSelector=spec.nodeName%3Dn")]
    public void For_DifferentKey_ReturnsAnotherInformer(string resource, string ns, string query)
    {
        var factory = new InformerFactory(_client, NullLogger.Instance);
        var pods = factory.For(Pods);

        var other = factory.For(resource == "jobs" ? Jobs : Pods, ns, query);

        Assert.NotSame(pods, other);
        Assert.Same(other, factory.For(resource == "jobs" ? Jobs : Pods, ns, query));
    }

    [Fact]
    public void ForMetadataOrExisting_SharesAFullInformerOthersAskedFor_ElseWatchesMetadata()
    {
        var factory = new InformerFactory(_client, NullLogger.Instance);
        var pods = factory.For(Pods);

        Assert.Same(pods, factory.ForMetadataOrExisting(Pods));
        var jobs = factory.ForMetadataOrExisting(Jobs);
        Assert.True(jobs.MetadataOnly);
        Assert.False(pods.MetadataOnly);
        Assert.Same(jobs, factory.ForMetadata(Jobs));
        Assert.NotSame(jobs, factory.For(Jobs));
    }

    [Fact]
    public void For_FromManyThreads_HandsOutOneInformer()
    {
        var factory = new InformerFactory(_client, NullLogger.Instance);

        var got = new Informer[16];
        Parallel.For(0, got.Length, i => got[i] = factory.For(Pods));

        Assert.Single(got.Distinct());
    }

    [Fact]
    public void Factories_DoNotShare()
    {
        Assert.NotSame(new InformerFactory(_client, NullLogger.Instance).For(Pods), new InformerFactory(_client, NullLogger.Instance).For(Pods));
    }

    [Fact]
    public async Task RunAsync_SecondCall_JoinsTheRunningLoop()
    {
        var informer = new InformerFactory(_client, NullLogger.Instance).For(Pods);
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();

        var run = informer.RunAsync(first.Token);
        var again = informer.RunAsync(second.Token);

        Assert.Same(run, again);
        Assert.False(run.IsCompleted);
        await first.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(run.IsCompletedSuccessfully);
        Assert.False(informer.HasSynced);
    }

    private static KubeClient NewClient()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
        return new KubeClient(new Uri($"https://127.0.0.1:{ClosedPort()}"), cert, cert);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
