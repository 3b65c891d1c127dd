using System.Globalization;

namespace Anvil.Node.Exec;

/// <summary>
/// conmon's attach protocol, as CRI-O speaks it. conmon listens on a SOCK_SEQPACKET unix socket named <c>attach</c>
/// in the container's bundle (reached through <c>--socket-dir-path</c>/&lt;cuuid&gt;, a symlink to the bundle). Each
/// packet conmon sends is one read of the container's output: a byte naming the pipe (<see cref="StdoutPipe"/>,
/// <see cref="StderrPipe"/>; a terminal's output is stdout) and the data. Each packet the client sends is written to
/// the container's stdin as is; the client's shutdown of its sending side (a zero-length read for conmon) closes
/// the container's stdin unless conmon runs with <c>--leave-stdin-open</c>. Terminal resizes are lines
/// "<c>1 &lt;height&gt; &lt;width&gt;</c>" on the bundle's <c>ctl</c> fifo.
/// </summary>
public static class ConmonAttach
{
    /// <summary>conmon's stdpipe_t values (NO_PIPE is 0).</summary>
    public const byte StdinPipe = 1, StdoutPipe = 2, StderrPipe = 3;

    /// <summary>conmon's WIN_RESIZE_EVENT on the ctl fifo.</summary>
    public const int ResizeEvent = 1;

    /// <summary>
    /// The largest stdin packet sent: conmon receives at most CONN_SOCK_BUF_SIZE - 1 (32767) bytes per packet and a
    /// larger packet would be cut; CRI-O writes in 8 KiB pieces too.
    /// </summary>
    public const int MaxStdinPacket = 8192;

    /// <summary>A receive buffer that holds any packet conmon sends (STDIO_BUF_SIZE 8192 + the pipe byte).</summary>
    public const int ReceiveBufferSize = 64 * 1024;

    /// <summary>The socket's name inside the bundle.</summary>
    public const string SocketName = "attach";

    /// <summary>The control fifo's name inside the bundle.</summary>
    public const string ControlFifoName = "ctl";

    /// <summary>The fifo conmon passes sizes on to itself (from the ctl fifo to its terminal handler).</summary>
    public const string WindowSizeFifoName = "winsz";

    /// <summary>The pipe and the data of one packet from conmon; null for an empty packet (which carries nothing).</summary>
    public static (byte Pipe, ReadOnlyMemory<byte> Data)? ParsePacket(ReadOnlyMemory<byte> packet) =>
        packet.Length == 0 ? null : (packet.Span[0], packet[1..]);

    /// <summary>The ctl fifo line that resizes the container's terminal.</summary>
    public static string ResizeMessage(ushort width, ushort height) =>
        string.Create(CultureInfo.InvariantCulture, $"{ResizeEvent} {height} {width}\n");

    /// <summary>
    /// Splits stdin data into packets of at most <paramref name="max"/> bytes. Never yields an empty packet: conmon
    /// would read it as the end of stdin.
    /// </summary>
    public static IEnumerable<ReadOnlyMemory<byte>> StdinPackets(ReadOnlyMemory<byte> data, int max = MaxStdinPacket)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        for (var offset = 0; offset < data.Length; offset += max)
            yield return data.Slice(offset, Math.Min(max, data.Length - offset));
    }
}
