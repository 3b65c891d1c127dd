using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Anvil.Node.PortForward;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Node.Tests;

/// <summary>
/// portforward.k8s.io over SPDY/3.1 as kubectl speaks it: an error and a data stream per connection (header
/// blocks compressed as a Go client does), then bytes both ways and FINs in the kubelet's order.
/// </summary>
public sealed class PortForwardSessionTests
{
    // SYN_STREAM header blocks of one zlib stream: {streamtype: error, port: 8080, requestid: 0}, then the data one.
    private static readonly byte[] s_errorHeaders = Convert.FromHexString("78f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45e01c6061606100a4398b20d198094ade8c0600000000ffff");
    private static readonly byte[] s_dataHeaders = Convert.FromHexString("c2aa19540e2512d60b000000ffff");

    private static async Task<(NetworkStream Client, NetworkStream Server)> PairAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var server = await listener.AcceptTcpClientAsync();
        return (client.GetStream(), server.GetStream());
    }

    private static byte[] SynStream(int id, byte[] block)
    {
        var frame = new byte[8 + 10 + block.Length];
        frame[0] = 0x80; frame[1] = 3; frame[3] = 1;
        Length(frame, 10 + block.Length);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), id);
        block.CopyTo(frame, 18);
        return frame;
    }

    private static byte[] Data(int id, string text, bool fin)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var frame = new byte[8 + bytes.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, id);
        frame[4] = fin ? (byte)1 : (byte)0;
        Length(frame, bytes.Length);
        bytes.CopyTo(frame, 8);
        return frame;
    }

    private static void Length(byte[] frame, int n)
    {
        frame[5] = (byte)(n >> 16); frame[6] = (byte)(n >> 8); frame[7] = (byte)n;
    }

    /// <summary>The frames the kubelet sends, described: "reply 1", "data 3 text", "fin 3", "ping 1".</summary>
    private static async Task<List<string>> ReadFramesAsync(Stream s, int count)
    {
        var seen = new List<string>();
        var header = new byte[8];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (seen.Count < count)
        {
            await s.ReadExactlyAsync(header, timeout.Token);
            var payload = new byte[(header[5] << 16) | (header[6] << 8) | header[7]];
            await s.ReadExactlyAsync(payload, timeout.Token);
            if ((header[0] & 0x80) != 0)
            {
                var type = (header[2] << 8) | header[3];
                seen.Add(type switch { 2 => "reply", 6 => "ping", _ => $"control{type}" } + " " + BinaryPrimitives.ReadInt32BigEndian(payload));
                continue;
            }
            var id = BinaryPrimitives.ReadInt32BigEndian(header);
            if (payload.Length > 0) seen.Add($"data {id} {Encoding.UTF8.GetString(payload)}");
            if ((header[4] & 1) != 0) seen.Add($"fin {id}");
        }
        return seen;
    }

    [Fact]
    public async Task ForwardsBytesAndFinishesDataThenError()
    {
        using var pod = new TcpListener(IPAddress.Loopback, 0);
        pod.Start();
        var podPort = ((IPEndPoint)pod.LocalEndpoint).Port;
        // The "container": reads until the client half-closes, then answers and closes.
        var served = Task.Run(async () =>
        {
            using var c = await pod.AcceptTcpClientAsync();
            var s = c.GetStream();
            var got = await new StreamReader(s).ReadToEndAsync();
            await s.WriteAsync(Encoding.UTF8.GetBytes("got:" + got));
        });
        var dialled = 0;
        async Task<Socket> Dial(int port, CancellationToken ct)
        {
            dialled = port;
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, podPort, ct);
            return socket;
        }
        var (client, server) = await PairAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var session = new PortForwardSession(Dial, "ns/p, uid u", NullLogger.Instance).RunAsync(server, cts.Token);

        await client.WriteAsync(SynStream(1, s_errorHeaders));
        await client.WriteAsync(SynStream(3, s_dataHeaders));
        await client.WriteAsync(Data(3, "hello", fin: true));
        var ping = new byte[] { 0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1 };
        await client.WriteAsync(ping);
        var frames = await ReadFramesAsync(client, 6);
        await served;
        client.Close();
        await session;

        Assert.Equal(8080, dialled);
        // The ping is answered whenever it is read; the rest keeps its order.
        Assert.Contains("ping 1", frames);
        Assert.Equal(["reply 1", "reply 3", "data 3 got:hello", "fin 3", "fin 1"], frames.Where(f => f != "ping 1"));
    }

    [Fact]
    public async Task ADialFailureIsWrittenOnTheErrorStream()
    {
        static Task<Socket> Refused(int port, CancellationToken ct) => throw new SocketException((int)SocketError.ConnectionRefused);
        var (client, server) = await PairAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var session = new PortForwardSession(Refused, "ns/p, uid u", NullLogger.Instance).RunAsync(server, cts.Token);

        await client.WriteAsync(SynStream(1, s_errorHeaders));
        await client.WriteAsync(SynStream(3, s_dataHeaders));
        var frames = await ReadFramesAsync(client, 5);
        client.Close();
        await session;

        Assert.Equal(["reply 1", "reply 3", "data 1 error forwarding port 8080 to pod ns/p, uid u: Connection refused", "fin 3", "fin 1"], frames);
    }
}
