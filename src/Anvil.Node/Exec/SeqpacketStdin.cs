using System.Net.Sockets;

namespace Anvil.Node.Exec;

/// <summary>
/// The write side of conmon's attach socket as a stream: writes go out as packets of at most
/// <see cref="ConmonAttach.MaxStdinPacket"/> bytes; disposing shuts the sending side down (the end of stdin for conmon)
/// and then calls <c>onClosed</c>. Socket failures surface as <see cref="IOException"/>s, as with a pipe.
/// </summary>
internal sealed class SeqpacketStdin(Socket socket, Action? onClosed) : Stream
{
    private int _closed;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => _closed == 0;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer) => WriteAsync(buffer.ToArray()).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_closed != 0, this);
        try
        {
            foreach (var packet in ConmonAttach.StdinPackets(buffer))
                await socket.SendAsync(packet, SocketFlags.None, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException($"writing to the container's stdin failed: {e.Message}", e);
        }
    }

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _closed, 1) == 0)
        {
            try { socket.Shutdown(SocketShutdown.Send); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            onClosed?.Invoke();
        }
        base.Dispose(disposing);
    }
}
