using System.Net.WebSockets;

namespace Anvil.Node.Exec;

/// <summary>Reads whole WebSocket messages (fragments joined), each at most <see cref="MaxMessage"/> bytes.</summary>
internal sealed class MessageReader(WebSocket ws)
{
    /// <summary>kubectl sends stdin in chunks of at most 32 KiB; anything far larger is not a client of ours.</summary>
    public const int MaxMessage = 1024 * 1024;

    private readonly byte[] _buffer = new byte[32 * 1024];

    /// <summary>The next message, or null once the client has closed.</summary>
    public async Task<byte[]?> NextAsync(CancellationToken ct)
    {
        using var message = new MemoryStream();
        while (true)
        {
            var r = await ws.ReceiveAsync(_buffer, ct).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close) return null;
            if (message.Length + r.Count > MaxMessage)
                throw new WebSocketException(WebSocketError.Faulted, $"a message is larger than {MaxMessage} bytes");
            message.Write(_buffer, 0, r.Count);
            if (r.EndOfMessage) return message.ToArray();
        }
    }
}
