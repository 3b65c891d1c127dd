using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Node.Probes;
using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

/// <summary>httpGet and tcpSocket probes against loopback listeners, and exec through a stub runtime.</summary>
public sealed class ProberTests
{
    private sealed class StubRuntime(ExecSyncResult result) : IRuntimeService
    {
        public List<(string Id, string Command, TimeSpan Timeout)> Calls { get; } = [];
        public (string Name, string Version) Version => ("stub", "0");
        public Task<string> RunPodSandboxAsync(PodSandboxConfig config, CancellationToken ct) => throw new NotSupportedException();
        public Task StopPodSandboxAsync(string podUid, CancellationToken ct) => throw new NotSupportedException();
        public Task<string> CreateContainerAsync(ContainerConfig config, CancellationToken ct) => throw new NotSupportedException();
        public Task StartContainerAsync(string id, CancellationToken ct) => throw new NotSupportedException();
        public Task StopContainerAsync(string id, TimeSpan timeout, CancellationToken ct) => throw new NotSupportedException();
        public Task RemoveContainerAsync(string id, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? podUid, CancellationToken ct) => throw new NotSupportedException();
        public Task<ContainerStatus?> ContainerStatusAsync(string id, CancellationToken ct) => throw new NotSupportedException();
        public Task<Anvil.Node.Exec.ExecProcess> ExecAsync(string id, Anvil.Node.Exec.ExecOptions options, CancellationToken ct) => throw new NotSupportedException();
        public Task<ExecSyncResult> ExecSyncAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken ct)
        {
            Calls.Add((containerId, string.Join(' ', command), timeout));
            return Task.FromResult(result);
        }
    }

    private static readonly JsonObject Container = JsonNode.Parse("""{"name":"app","ports":[{"name":"http","containerPort":8080}]}""")!.AsObject();

    private static ProbeTarget Target(JsonObject? container = null) => new(new JsonObject(), container ?? Container, "c1", "127.0.0.1");

    private static ProbeSpec Spec(string json) => ProbeSpec.From(JsonNode.Parse(json)!.AsObject())!;

    /// <summary>A one-shot HTTP server: answers one request with <paramref name="status"/> and returns the request's head.</summary>
    private static (int Port, Task<string> Request) Serve(int status, string body = "")
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var request = Task.Run(async () =>
        {
            try
            {
                using var client = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buffer);
                    if (n == 0) break;
                    head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                var bytes = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} X\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
                await stream.WriteAsync(bytes);
                return head.ToString();
            }
            finally
            {
                listener.Stop();
            }
        });
        return (port, request);
    }

    private static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Theory]
    [InlineData(200, ProbeResult.Success, "hello")]
    [InlineData(302, ProbeResult.Success, "hello")]
    [InlineData(399, ProbeResult.Success, "hello")]
    [InlineData(400, ProbeResult.Failure, "HTTP probe failed with statuscode: 400")]
    [InlineData(500, ProbeResult.Failure, "HTTP probe failed with statuscode: 500")]
    public async Task HttpStatusCodes(int status, ProbeResult result, string output)
    {
        var (port, request) = Serve(status, "hello");
        var outcome = await new Prober(new StubRuntime(new(0, "", "", false))).ProbeAsync(
            // A long timeout: the one-shot server runs on a thread pool that a loaded test run can keep busy past the default 1 s.
            Spec($$$"""{"timeoutSeconds":30,"httpGet":{"path":"healthz","port":{{{port}}},"httpHeaders":[{"name":"X-Custom","value":"yes"}]}}"""), Target(), CancellationToken.None);
        Assert.Equal(new ProbeOutcome(result, output), outcome);
        var head = await request;
        Assert.StartsWith("GET /healthz HTTP/1.1\r\n", head);
        Assert.Contains("\r\nUser-Agent: kube-probe/1.32\r\n", head);
        Assert.Contains("\r\nAccept: */*\r\n", head);
        Assert.Contains("\r\nX-Custom: yes\r\n", head);
    }

    [Fact]
    public async Task HttpConnectionRefusedInTheKubeletsWords()
    {
        var port = ClosedPort();
        var outcome = await new Prober(new StubRuntime(new(0, "", "", false))).ProbeAsync(Spec($$$"""{"httpGet":{"path":"/ready","port":{{{port}}}}}"""), Target(), CancellationToken.None);
        Assert.Equal(ProbeOutcome.Failure($"Get \"http://127.0.0.1:{port}/ready\": dial tcp 127.0.0.1:{port}: connect: connection refused"), outcome);
    }

    [Fact]
    public async Task TcpSocket()
    {
        var prober = new Prober(new StubRuntime(new(0, "", "", false)));
        var port = ClosedPort();
        Assert.Equal(ProbeOutcome.Failure($"dial tcp 127.0.0.1:{port}: connect: connection refused"),
            await prober.ProbeAsync(Spec($$$"""{"tcpSocket":{"port":{{{port}}}}}"""), Target(), CancellationToken.None));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var open = ((IPEndPoint)listener.LocalEndpoint).Port;
            var named = JsonNode.Parse($$$"""{"name":"app","ports":[{"name":"db","containerPort":{{{open}}}}]}""")!.AsObject();
            Assert.Equal(ProbeOutcome.Success(), await prober.ProbeAsync(Spec("""{"tcpSocket":{"port":"db"}}"""), Target(named), CancellationToken.None));
        }
        finally
        {
            listener.Stop();
        }
        Assert.Equal(ProbeOutcome.Error("couldn't find port: nope in container app"),
            await prober.ProbeAsync(Spec("""{"tcpSocket":{"port":"nope"}}"""), Target(), CancellationToken.None));
    }

    [Theory]
    [InlineData(0, "ok\n", "", false, ProbeResult.Success, "ok\n")]
    [InlineData(1, "", "cat: can't open '/tmp/healthy': No such file or directory\n", false, ProbeResult.Failure, "cat: can't open '/tmp/healthy': No such file or directory\n")]
    [InlineData(-1, "", "", true, ProbeResult.Failure, "command \"cat /tmp/healthy\" timed out")]
    public async Task ExecThroughTheRuntime(int code, string stdout, string stderr, bool timedOut, ProbeResult result, string output)
    {
        var runtime = new StubRuntime(new ExecSyncResult(code, stdout, stderr, timedOut));
        var outcome = await new Prober(runtime).ProbeAsync(Spec("""{"exec":{"command":["cat","/tmp/healthy"]},"timeoutSeconds":3}"""), Target(), CancellationToken.None);
        Assert.Equal(new ProbeOutcome(result, output), outcome);
        Assert.Equal([("c1", "cat /tmp/healthy", TimeSpan.FromSeconds(3))], runtime.Calls);
    }
}
