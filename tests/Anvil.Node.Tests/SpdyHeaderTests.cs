using System.Security.Cryptography;
using Anvil.Node.PortForward;

namespace Anvil.Node.Tests;

public sealed class SpdyHeaderTests
{
    [Fact]
    public void DictionaryIsTheSpdy3One()
    {
        // SHA-256 of the 1423 bytes of headerDictionary in kubectl 1.32 (moby/spdystream).
        Assert.Equal(1423, SpdyDictionary.Bytes.Length);
        Assert.Equal("51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02", Convert.ToHexStringLower(SHA256.HashData(SpdyDictionary.Bytes)));
    }

    [Fact]
    public void DecodesConsecutiveBlocksCompressedWithTheDictionary()
    {
        // Two SYN_STREAM header blocks as a Go peer writes them: one zlib stream (level 9, dictionary id
        // present), each block sync-flushed; the second refers back to the first.
        using var decoder = new SpdyHeaderDecoder();
        var first = decoder.Decode(Convert.FromHexString("78f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45e01c6061606100a4398b20d198094ade8c0600000000ffff"));
        var second = decoder.Decode(Convert.FromHexString("c2aa19540e2512d60b000000ffff"));
        Assert.Equal("streamtype=error,port=8080,requestid=0", string.Join(",", first.Select(h => $"{h.Key}={h.Value}")));
        Assert.Equal("streamtype=data,port=8080,requestid=0", string.Join(",", second.Select(h => $"{h.Key}={h.Value}")));
    }

    [Fact]
    public void TruncatedBlockIsAnError()
    {
        using var decoder = new SpdyHeaderDecoder();
        Assert.Throws<InvalidDataException>(() => decoder.Decode(Convert.FromHexString("78f9e3c6a7c202253a703a2b294a4dcc85")));
    }

    [Fact]
    public void EncodedBlocksAreAZlibStreamOfStoredBlocks()
    {
        var encoder = new SpdyHeaderEncoder();
        var first = encoder.Encode([]);
        var second = encoder.Encode([new("X-Name", "v")]);
        Assert.Equal("7801" + "000400fbff" + "00000000" + "000000ffff", Convert.ToHexStringLower(first));
        Assert.Equal("001300ecff" + "00000001" + "00000006" + "782d6e616d65" + "00000001" + "76" + "000000ffff", Convert.ToHexStringLower(second));
        // Readable by a plain inflater as one stream.
        using var inflate = new System.IO.Compression.ZLibStream(new MemoryStream([.. first, .. second]), System.IO.Compression.CompressionMode.Decompress);
        var buffer = new byte[4 + 4 + 4 + 6 + 4 + 1];
        inflate.ReadExactly(buffer);
        Assert.Equal("00000000" + "00000001" + "00000006782d6e616d650000000176", Convert.ToHexStringLower(buffer));
    }
}
