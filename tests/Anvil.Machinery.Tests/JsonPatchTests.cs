using System.Text;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Patches;

namespace Anvil.Machinery.Tests;

public sealed class JsonPatchTests
{
    private const string Doc = """{"metadata":{"name":"x","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[1,2,3]}}""";

    [Theory]
    [InlineData("""[{"op":"add","path":"/metadata/labels/b","value":"2"}]""", """{"metadata":{"name":"x","labels":{"a":"1","k/v":"2","t~n":"3","b":"2"}},"spec":{"list":[1,2,3]}}""")]
    [InlineData("""[{"op":"add","path":"/spec/list/0","value":0}]""", """{"metadata":{"name":"x","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[0,1,2,3]}}""")]
    [InlineData("""[{"op":"add","path":"/spec/list/-","value":4}]""", """{"metadata":{"name":"x","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[1,2,3,4]}}""")]
    [InlineData("""[{"op":"add","path":"/spec/list/3","value":4}]""", """{"metadata":{"name":"x","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[1,2,3,4]}}""")]
    [InlineData("""[{"op":"add","path":"/spec/list/-1","value":9}]""", """{"metadata":{"name":"x","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[1,2,3,9]}}""")]
    [InlineData("""[{"op":"remove","path":"/metadata/labels/k~1v"}]""", """{"metadata":{"name":"x","labels":{"a":"1","t~n":"3"}},"spec":{"list":[1,2,3]}}""")]
    [InlineData("""[{"op":"remove","path":"/metadata/labels/t~0n"}]""", """{"metadata":{"name":"x","labels":{"a":"1","k/v":"2"}},"spec":{"list":[1,2,3]}}""")]
    [InlineData("""[{"op":"remove","path":"/spec/list/-1"}]""", """{"metadata":{"name":"x","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[1,2]}}""")]
    [InlineData("""[{"op":"replace","path":"/metadata/name","value":"y"}]""", """{"metadata":{"name":"y","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[1,2,3]}}""")]
    // evanphx v4: replace of a missing object member adds it.
    [InlineData("""[{"op":"replace","path":"/metadata/namespace","value":"ns"}]""", """{"metadata":{"name":"x","namespace":"ns","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[1,2,3]}}""")]
    [InlineData("""[{"op":"replace","path":"/spec/list/1","value":20}]""", """{"metadata":{"name":"x","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[1,20,3]}}""")]
    [InlineData("""[{"op":"move","from":"/metadata/labels/a","path":"/metadata/labels/z"}]""", """{"metadata":{"name":"x","labels":{"k/v":"2","t~n":"3","z":"1"}},"spec":{"list":[1,2,3]}}""")]
    [InlineData("""[{"op":"move","from":"/spec/list/0","path":"/spec/list/-"}]""", """{"metadata":{"name":"x","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[2,3,1]}}""")]
    [InlineData("""[{"op":"copy","from":"/spec/list","path":"/spec/copy"}]""", """{"metadata":{"name":"x","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[1,2,3],"copy":[1,2,3]}}""")]
    [InlineData("""[{"op":"test","path":"/metadata/name","value":"x"},{"op":"replace","path":"/metadata/name","value":"z"}]""", """{"metadata":{"name":"z","labels":{"a":"1","k/v":"2","t~n":"3"}},"spec":{"list":[1,2,3]}}""")]
    [InlineData("""[{"op":"test","path":"/spec/list","value":[1,2.0,3]}]""", Doc)]
    [InlineData("""[{"op":"test","path":"/metadata/missing","value":null}]""", Doc)]
    [InlineData("""[]""", Doc)]
    public void Apply_AppliesOperations(string ops, string expected)
    {
        var result = JsonPatch.Apply(JsonNode.Parse(Doc)!, (JsonArray)JsonNode.Parse(ops)!);
        Assert.Equal(TestJson.Canon(expected), TestJson.Canon(result));
    }

    [Fact]
    public void Apply_LeavesTheInputDocumentAlone()
    {
        var doc = JsonNode.Parse(Doc)!;
        JsonPatch.Apply(doc, (JsonArray)JsonNode.Parse("""[{"op":"remove","path":"/spec"}]""")!);
        Assert.Equal(TestJson.Canon(Doc), TestJson.Canon(doc));
    }

    [Theory]
    [InlineData("""[{"op":"test","path":"/metadata/name","value":"other"}]""")]
    [InlineData("""[{"op":"test","path":"/metadata/name"}]""")]
    [InlineData("""[{"op":"remove","path":"/metadata/nope"}]""")]
    [InlineData("""[{"op":"add","path":"/nope/deeper/x","value":1}]""")]
    [InlineData("""[{"op":"add","path":"/spec/list/9","value":1}]""")]
    [InlineData("""[{"op":"replace","path":"/spec/list/3","value":1}]""")]
    [InlineData("""[{"op":"remove","path":"/spec/list/x"}]""")]
    [InlineData("""[{"op":"move","from":"/nope","path":"/x"}]""")]
    [InlineData("""[{"op":"copy","from":"/metadata/nope","path":"/x"}]""")]
    [InlineData("""[{"op":"frobnicate","path":"/x"}]""")]
    [InlineData("""[{"path":"/x","value":1}]""")]
    [InlineData("""[{"op":"add","value":1}]""")]
    [InlineData("""[{"op":"add","path":"","value":1}]""")]
    public void Apply_FailuresAre422WithTheGenericMessage(string ops)
    {
        var e = Assert.Throws<StatusError>(() => JsonPatch.Apply(JsonNode.Parse(Doc)!, (JsonArray)JsonNode.Parse(ops)!));
        Assert.Equal(422, e.Code);
        Assert.Equal("Invalid", e.Reason);
        Assert.Equal("the server rejected our request due to an error in our request", e.Message);
    }

    [Fact]
    public void Apply_RejectsTooManyOperations()
    {
        var ops = new JsonArray();
        for (var i = 0; i < JsonPatch.MaxOperations + 1; i++) ops.Add(new JsonObject { ["op"] = "test", ["path"] = "/metadata" });
        var e = Assert.Throws<StatusError>(() => JsonPatch.Apply(JsonNode.Parse(Doc)!, ops));
        Assert.Equal(413, e.Code);
        Assert.Equal("Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001", e.Message);
    }

    [Theory]
    [InlineData("""{"op":"add"}""", "json: cannot unmarshal object into Go value of type jsonpatch.Patch")]
    [InlineData("""["add"]""", "json: cannot unmarshal string into Go value of type jsonpatch.Operation")]
    [InlineData("""5""", "json: cannot unmarshal number into Go value of type jsonpatch.Patch")]
    [InlineData("""[{"op":""", "unexpected end of JSON input")]
    [InlineData("""x""", "invalid character 'x' looking for beginning of value")]
    public void Parse_RejectsMalformedBodies(string body, string message)
    {
        var e = Assert.Throws<StatusError>(() => JsonPatch.Parse(Encoding.UTF8.GetBytes(body)));
        Assert.Equal(400, e.Code);
        Assert.Equal("BadRequest", e.Reason);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Parse_AcceptsNullAsEmpty() => Assert.Empty(JsonPatch.Parse("null"u8));
}
