using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Serialization;

namespace Anvil.Machinery.Tests;

public sealed class KubeJsonTests
{
    [Theory]
    [InlineData("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","annotations":{"x":"<&>+ é 😀 \"q\" \\ \n"}},"data":{"k":"v"}}""")]
    [InlineData("""{"a":[1,2.5,-3e-7,true,false,null,{"b":[]}],"c":{}}""")]
    [InlineData("""[]""")]
    public void ToBytes_WritesWhatTheSerializerWrites(string json)
    {
        var node = JsonNode.Parse(json)!;
        var expected = JsonSerializer.SerializeToUtf8Bytes(node, KubeJson.Options);
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(KubeJson.ToBytes(node)));
        // The per-thread buffer is reused: a second, shorter write is not polluted by the first.
        Assert.Equal("{}", Encoding.UTF8.GetString(KubeJson.ToBytes(new JsonObject())));
    }

    [Fact]
    public void ToBytes_WritesBuiltNodesAndLargeOnes()
    {
        var big = new JsonObject { ["kind"] = "List", ["n"] = 5L, ["s"] = new string('x', 300_000), ["t"] = JsonValue.Create(true) };
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(big, KubeJson.Options), KubeJson.ToBytes(big));
        Assert.Equal("""{"a":1}""", Encoding.UTF8.GetString(KubeJson.ToBytes(new JsonObject { ["a"] = 1 })));
    }

    [Theory]
    [InlineData(63, false)]
    [InlineData(64, false)]
    [InlineData(65, true)]
    [InlineData(70, true)]
    public void ToBytes_LimitsDepthAsTheSerializer(int depth, bool throws)
    {
        JsonNode node = new JsonObject();
        for (var i = 1; i < depth; i++) node = new JsonObject { ["a"] = node };
        if (throws) Assert.Throws<JsonException>(() => KubeJson.ToBytes(node));
        else Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(node, KubeJson.Options), KubeJson.ToBytes(node));
    }
}
