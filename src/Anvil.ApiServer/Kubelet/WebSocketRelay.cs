using System.Net.WebSockets;

namespace Anvil.ApiServer.Kubelet;

/// <summary>
/// Copies messages both ways between the client's WebSocket and the kubelet's, keeping message boundaries
/// (each carries its channel byte first). A close from either side is passed on; once one direction has ended
/// the other gets a bounded time to finish, then both are aborted.
/// </summary>
public static class WebSocketRelay
{
    private const int BufferSize = 32 * 1024;
    private static readonly TimeSpan CloseBound = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(WebSocket client, WebSocket kubelet, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var up = CopyAsync(client, kubelet, cts.Token);
        var down = CopyAsync(kubelet, client, cts.Token);
        var first = await Task.WhenAny(up, down).ConfigureAwait(false);
        try
        {
            await (first == up ? down : up).WaitAsync(CloseBound, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }
        cts.Cancel();
        client.Abort();
        kubelet.Abort();
        try { await Task.WhenAll(up, down).ConfigureAwait(false); } catch (Exception) { }
    }

    private static async Task CopyAsync(WebSocket from, WebSocket to, CancellationToken ct)
    {
        var buffer = new byte[BufferSize];
        try
        {
            while (true)
            {
                var r = await from.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
                        await to.CloseOutputAsync(r.CloseStatus ?? WebSocketCloseStatus.NormalClosure, r.CloseStatusDescription, ct).ConfigureAwait(false);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // One side went away; the relay ends.
        }
    }
}
