using System.Buffers;
using System.Text;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Serialization;

namespace Anvil.ApiServer.Tests.Registry;

public sealed class StoredJsonTests
{
    [Theory]
    [InlineData("""{"kind":"Pod","metadata":{"name":"x"},"spec":{}}""", """{"kind":"Pod","metadata":{"name":"x","resourceVersion":"42"},"spec":{}}""")]
    [InlineData("""{"metadata":{}}""", """{"metadata":{"resourceVersion":"42"}}""")]
    // A "metadata" below the top level (a template) is not the object's.
    [InlineData("""{"spec":{"template":{"metadata":{"labels":{"a":"b"}}}},"metadata":{"name":"x","labels":{"metadata":"y"}}}""",
        """{"spec":{"template":{"metadata":{"labels":{"a":"b"}}}},"metadata":{"name":"x","labels":{"metadata":"y"},"resourceVersion":"42"}}""")]
    [InlineData("""{"metadata":{"annotations":{"a":"{\"resourceVersion\":1}"}},"data":[1,2]}""",
        """{"metadata":{"annotations":{"a":"{\"resourceVersion\":1}"},"resourceVersion":"42"},"data":[1,2]}""")]
    public void SplicesTheResourceVersionAsMetadatasLastMember(string stored, string expected)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(StoredJson.TryWriteWithResourceVersion(Encoding.UTF8.GetBytes(stored), 42, output));
        Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));

        // The span form (a create's and a get's answer) fits in the stored length plus MaxAdded, even for the
        // longest revision.
        var bytes = Encoding.UTF8.GetBytes(stored);
        var buffer = new byte[bytes.Length + StoredJson.MaxAdded];
        Assert.True(StoredJson.TryCopyWithResourceVersion(bytes, long.MaxValue, buffer, out var written));
        Assert.Equal(expected.Replace("\"42\"", $"\"{long.MaxValue}\""), Encoding.UTF8.GetString(buffer, 0, written));
    }

    [Theory]
    [InlineData("""{"kind":"Pod"}""")]
    [InlineData("""{"metadata":"x"}""")]
    [InlineData("""{"metadata":{"name":"x","resourceVersion":"3"}}""")]
    [InlineData("""[]""")]
    [InlineData("""{"metadata":{"name":""")]
    public void RefusesWhatItCannotSplice(string stored)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.False(StoredJson.TryWriteWithResourceVersion(Encoding.UTF8.GetBytes(stored), 42, output));
        Assert.Equal(0, output.WrittenCount);
        Assert.False(StoredJson.TryCopyWithResourceVersion(Encoding.UTF8.GetBytes(stored), 42, new byte[256], out var written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void GivesTheBytesOfDecodingAndEncoding()
    {
        var stored = Encoding.UTF8.GetBytes("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","uid":"u","creationTimestamp":"2026-11-21T10:00:00Z","labels":{"app":"<web>&"}},"spec":{"containers":[{"name":"c","image":"busybox","resources":{"requests":{"cpu":"100m"}}}],"priority":0},"status":{"phase":"Pending"}}""");
        var output = new ArrayBufferWriter<byte>();
        Assert.True(StoredJson.TryWriteWithResourceVersion(stored, 1234567, output));
        Assert.Equal(Encoding.UTF8.GetString(KubeJson.ToBytes(ResourceStore.Decode(stored, 1234567))), Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
