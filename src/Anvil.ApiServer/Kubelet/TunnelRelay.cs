using System.Net.WebSockets;

namespace Anvil.ApiServer.Kubelet;

/// <summary>
/// Copies bytes between a client and a kubelet's upgraded stream: from a WebSocket tunnel (each binary message
/// a run of the tunnelled bytes, as client-go's TunnelingConnection writes them) or from another raw stream.
/// Once one direction has ended, the other gets a bounded time to finish, then both are closed.
/// </summary>
public static class TunnelRelay
{
    private const int BufferSize = 32 * 1024;
    private static readonly TimeSpan CloseBound = TimeSpan.FromSeconds(10);

    public static Task RunAsync(WebSocket client, Stream kubelet, CancellationToken ct) =>
        RunAsync(c => FromWebSocketAsync(client, kubelet, c), c => ToWebSocketAsync(kubelet, client, c), client.Abort, kubelet, ct);

    public static Task RunAsync(Stream client, Stream kubelet, CancellationToken ct) =>
        RunAsync(c => CopyAsync(client, kubelet, c), c => CopyAsync(kubelet, client, c), client.Dispose, kubelet, ct);

    private static async Task RunAsync(Func<CancellationToken, Task> up, Func<CancellationToken, Task> down, Action closeClient, Stream kubelet, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var upTask = Guard(up(cts.Token));
        var downTask = Guard(down(cts.Token));
        var first = await Task.WhenAny(upTask, downTask).ConfigureAwait(false);
        try
        {
            await (first == upTask ? downTask : upTask).WaitAsync(CloseBound, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }
        cts.Cancel();
        closeClient();
        await kubelet.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(upTask, downTask).ConfigureAwait(false);
    }

    private static async Task Guard(Task copy)
    {
        try { await copy.ConfigureAwait(false); }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // One side went away; the relay ends.
        }
    }

    private static async Task FromWebSocketAsync(WebSocket from, Stream to, CancellationToken ct)
    {
        var buffer = new byte[BufferSize];
        while (true)
        {
            var r = await from.ReceiveAsync(buffer, ct).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close) return;
            await to.WriteAsync(buffer.AsMemory(0, r.Count), ct).ConfigureAwait(false);
            await to.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task ToWebSocketAsync(Stream from, WebSocket to, CancellationToken ct)
    {
        var buffer = new byte[BufferSize];
        int n;
        while ((n = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            await to.SendAsync(buffer.AsMemory(0, n), WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
        if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
            await to.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken ct)
    {
        var buffer = new byte[BufferSize];
        int n;
        while ((n = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            await to.FlushAsync(ct).ConfigureAwait(false);
        }
    }
}
