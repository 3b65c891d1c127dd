using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Anvil.Node.PortForward;

/// <summary>
/// The kubelet's side of <c>portforward.k8s.io</c> over SPDY: the client opens an error stream and a data
/// stream per forwarded connection (headers streamType, port, requestID); once both are there the pod's port
/// is dialled and bytes are copied both ways. When the pod side closes, the data stream is finished, then
/// the error stream (with a message first if the dial failed).
/// </summary>
internal sealed class PortForwardSession(Func<int, CancellationToken, Task<Socket>> dial, string podDescription, ILogger log)
{
    /// <summary>How long the second stream of a pair may take (the kubelet's stream creation timeout).</summary>
    private static readonly TimeSpan PairTimeout = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, (SpdyStream? Data, SpdyStream? Error)> _pending = [];
    private readonly List<Task> _forwards = [];

    public async Task RunAsync(Stream transport, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var connection = new SpdyConnection(transport, log);
        await connection.RunAsync(s => Opened(connection, s, stop.Token), stop.Token).ConfigureAwait(false);
        stop.Cancel();
        Task[] forwards;
        lock (_forwards) forwards = [.. _forwards];
        try { await Task.WhenAll(forwards).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or IOException or SocketException) { }
    }

    private void Opened(SpdyConnection connection, SpdyStream stream, CancellationToken ct)
    {
        var id = stream.Header("requestid");
        var type = stream.Header("streamtype");
        lock (_pending)
        {
            var pair = _pending.GetValueOrDefault(id);
            if (type == "error") pair.Error = stream;
            else if (type == "data") pair.Data = stream;
            else return;
            if (pair.Data == null || pair.Error == null)
            {
                if (!_pending.ContainsKey(id)) Track(ExpireAsync(connection, id, ct));
                _pending[id] = pair;
                return;
            }
            _pending.Remove(id);
            Track(ForwardAsync(connection, pair.Data, pair.Error, ct));
        }
    }

    private void Track(Task task)
    {
        lock (_forwards)
        {
            _forwards.RemoveAll(t => t.IsCompleted);
            _forwards.Add(task);
        }
    }

    /// <summary>A pair still missing its second stream after <see cref="PairTimeout"/> is given up.</summary>
    private async Task ExpireAsync(SpdyConnection connection, string id, CancellationToken ct)
    {
        try { await Task.Delay(PairTimeout, ct).ConfigureAwait(false); }
        catch (OperationCanceledException) { return; }
        (SpdyStream? Data, SpdyStream? Error) pair;
        lock (_pending)
        {
            if (!_pending.Remove(id, out pair)) return;
        }
        log.LogInformation("portforward pod={Pod} request={Request}: timed out waiting for the second stream", podDescription, id);
        foreach (var s in new[] { pair.Data, pair.Error })
        {
            if (s == null) continue;
            await s.CloseAsync(ct).ConfigureAwait(false);
            connection.Remove(s);
        }
    }

    private async Task ForwardAsync(SpdyConnection connection, SpdyStream data, SpdyStream error, CancellationToken ct)
    {
        try
        {
            if (!int.TryParse(data.Header("port"), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                await error.WriteAsync(Encoding.UTF8.GetBytes($"invalid port: \"{data.Header("port")}\""), ct).ConfigureAwait(false);
                return;
            }
            Socket socket;
            try
            {
                socket = await dial(port, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or IOException && !ct.IsCancellationRequested)
            {
                var message = $"error forwarding port {port} to pod {podDescription}: {e.Message}";
                log.LogInformation("portforward failed {Message}", message);
                await error.WriteAsync(Encoding.UTF8.GetBytes(message), ct).ConfigureAwait(false);
                return;
            }
            log.LogInformation("portforward pod={Pod} port={Port} request={Request}", podDescription, port, data.Header("requestid"));
            using (socket)
            {
                using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var up = CopyUpAsync(data, socket, done.Token);
                var buffer = new byte[32 * 1024];
                try
                {
                    int n;
                    while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false)) > 0)
                        await data.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    log.LogInformation("portforward pod={Pod} port={Port}: {Error}", podDescription, port, e.Message);
                }
                done.Cancel();
                try { await up.ConfigureAwait(false); } catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            return;
        }
        finally
        {
            try
            {
                if (!ct.IsCancellationRequested)
                {
                    await data.CloseAsync(ct).ConfigureAwait(false);
                    await error.CloseAsync(ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException) { }
            connection.Remove(data);
            connection.Remove(error);
        }
    }

    /// <summary>Client → pod; the client's FIN half-closes the pod connection.</summary>
    private static async Task CopyUpAsync(SpdyStream data, Socket socket, CancellationToken ct)
    {
        var buffer = new byte[32 * 1024];
        int n;
        while ((n = await data.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, ct).ConfigureAwait(false);
        socket.Shutdown(SocketShutdown.Send);
    }
}
