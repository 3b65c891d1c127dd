using System.Text;
using System.Text.Json.Nodes;
using Anvil.Node.Exec;
using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

/// <summary>conmon's attach packets, ctl lines and conmon flags, and the container stdio read from a pod spec.</summary>
public sealed class ConmonAttachTests
{
    [Theory]
    [InlineData(new byte[] { 2, (byte)'h', (byte)'i' }, 2, "hi")]
    [InlineData(new byte[] { 3, (byte)'e' }, 3, "e")]
    [InlineData(new byte[] { 2 }, 2, "")]
    [InlineData(new byte[] { 9, 0, 1 }, 9, "\0\u0001")]
    public void PacketsNameTheirPipeFirst(byte[] packet, byte pipe, string data)
    {
        var parsed = ConmonAttach.ParsePacket(packet);
        Assert.NotNull(parsed);
        Assert.Equal((pipe, data), (parsed.Value.Pipe, Encoding.UTF8.GetString(parsed.Value.Data.Span)));
    }

    [Fact]
    public void AnEmptyPacketCarriesNothing() => Assert.Null(ConmonAttach.ParsePacket(ReadOnlyMemory<byte>.Empty));

    [Theory]
    [InlineData(80, 24, "1 24 80\n")]
    [InlineData(120, 40, "1 40 120\n")]
    [InlineData(0, 0, "1 0 0\n")]
    public void ResizeIsHeightThenWidth(ushort width, ushort height, string line) => Assert.Equal(line, ConmonAttach.ResizeMessage(width, height));

    [Theory]
    [InlineData(0, 8192, new int[0])]
    [InlineData(1, 8192, new[] { 1 })]
    [InlineData(8192, 8192, new[] { 8192 })]
    [InlineData(8193, 8192, new[] { 8192, 1 })]
    [InlineData(20000, 8192, new[] { 8192, 8192, 3616 })]
    [InlineData(5, 2, new[] { 2, 2, 1 })]
    public void StdinIsCutIntoNonEmptyPackets(int length, int max, int[] sizes)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        var packets = ConmonAttach.StdinPackets(data, max).ToList();
        Assert.Equal(sizes, packets.Select(p => p.Length));
        Assert.Equal(data, packets.SelectMany(p => p.ToArray()));
    }

    [Theory]
    [InlineData("{}", false, false, false)]
    [InlineData("""{"stdin":true}""", true, false, false)]
    [InlineData("""{"stdin":true,"stdinOnce":true,"tty":true}""", true, true, true)]
    [InlineData("""{"stdin":false,"tty":true}""", false, false, true)]
    [InlineData("""{"stdin":"yes"}""", false, false, false)]
    public void StdioComesFromTheSpec(string json, bool stdin, bool once, bool tty) =>
        Assert.Equal(new ContainerStdio(stdin, once, tty), ContainerStdio.From(JsonNode.Parse(json)!.AsObject()));

    [Theory]
    [InlineData(false, false, false, "")]
    [InlineData(true, false, false, "--stdin --leave-stdin-open")]
    [InlineData(true, true, false, "--stdin")]
    [InlineData(true, true, true, "--stdin --terminal")]
    [InlineData(false, false, true, "--terminal")]
    public void ConmonFlags(bool stdin, bool once, bool tty, string flags) =>
        Assert.Equal(flags, string.Join(' ', RuncRuntime.ConmonStdioArgs(new ContainerStdio(stdin, once, tty))));
}
