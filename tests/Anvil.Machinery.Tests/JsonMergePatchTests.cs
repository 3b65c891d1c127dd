using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Patches;

namespace Anvil.Machinery.Tests;

public sealed class JsonMergePatchTests
{
    // The RFC 7386 appendix A examples plus kube-apiserver (evanphx) specifics.
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    [InlineData("""{"a":"b"}""", """[1,null]""", """[1,null]""")]
    // kubectl cordon/uncordon
    [InlineData("""{"spec":{"podCIDR":"10.0.0.0/24"}}""", """{"spec":{"unschedulable":true}}""", """{"spec":{"podCIDR":"10.0.0.0/24","unschedulable":true}}""")]
    [InlineData("""{"spec":{"unschedulable":true}}""", """{"spec":{"unschedulable":null}}""", """{"spec":{}}""")]
    // Lists are replaced whole; nulls inside objects in arrays are pruned, null elements kept.
    [InlineData("""{"l":[1,2,3]}""", """{"l":[{"x":null,"y":1},null]}""", """{"l":[{"y":1},null]}""")]
    // Labels map.
    [InlineData("""{"metadata":{"labels":{"a":"1","b":"2"}}}""", """{"metadata":{"labels":{"a":null,"c":"3"}}}""", """{"metadata":{"labels":{"b":"2","c":"3"}}}""")]
    public void Apply_MergesLikeKubeApiserver(string target, string patch, string expected)
    {
        var result = JsonMergePatch.Apply(JsonNode.Parse(target), JsonNode.Parse(patch));
        Assert.Equal(TestJson.Canon(expected), TestJson.Canon(result));
    }

    [Fact]
    public void Apply_DoesNotModifyInputs()
    {
        var target = TestJson.Obj("""{"a":{"b":1}}""");
        var patch = TestJson.Obj("""{"a":{"b":null,"c":{"d":null}}}""");
        JsonMergePatch.Apply(target, patch);
        Assert.Equal("""{"a":{"b":1}}""", target.ToJsonString());
        Assert.Equal("""{"a":{"b":null,"c":{"d":null}}}""", patch.ToJsonString());
    }

    [Theory]
    [InlineData("null")]
    [InlineData("5")]
    [InlineData("\"x\"")]
    public void Apply_RejectsNonDocumentPatches(string patch)
    {
        var e = Assert.Throws<StatusError>(() => JsonMergePatch.Apply(TestJson.Obj("{}"), JsonNode.Parse(patch)));
        Assert.Equal(400, e.Code);
        Assert.Equal("BadRequest", e.Reason);
        Assert.Equal("Invalid JSON Patch", e.Message);
    }
}
