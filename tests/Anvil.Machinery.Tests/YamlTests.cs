using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Serialization;

namespace Anvil.Machinery.Tests;

public sealed class YamlTests
{
    [Theory]
    [InlineData("a: true\nb: yes\nc: On\nd: false\ne: no\nf: off\ng: y", """{"a":true,"b":true,"c":true,"d":false,"e":false,"f":false,"g":true}""")]
    [InlineData("a: null\nb: ~\nc:\nd: Null", """{"a":null,"b":null,"c":null,"d":null}""")]
    [InlineData("a: 1\nb: -2\nc: 0x1F\nd: 017\ne: 0o17\nf: 0b101\ng: 1_000\nh: +3", """{"a":1,"b":-2,"c":31,"d":15,"e":15,"f":5,"g":1000,"h":3}""")]
    [InlineData("a: 1.5\nb: 1e3\nc: .5\nd: 1.0\ne: 08", """{"a":1.5,"b":1000,"c":0.5,"d":1,"e":8}""")]
    [InlineData("a: \"true\"\nb: '1'\nc: \"null\"\nd: !!str 5\ne: 2024-01-01\nf: 1.2.3\ng: 12:30", """{"a":"true","b":"1","c":"null","d":"5","e":"2024-01-01","f":"1.2.3","g":"12:30"}""")]
    [InlineData("a: |\n  x\n  y\nb: >\n  p\n  q\n", """{"a":"x\ny\n","b":"p q\n"}""")]
    [InlineData("base: &b {p: 1, q: 2}\nderived:\n  <<: *b\n  q: 3\nlist: [*b]", """{"base":{"p":1,"q":2},"derived":{"p":1,"q":3},"list":[{"p":1,"q":2}]}""")]
    // go-yaml v2 reads an unquoted y / on key as a boolean too.
    [InlineData("on: 2\n\"n\": 3", """{"true":2,"n":3}""")]
    [InlineData("1: a\ntrue: b\n", """{"1":"a","true":"b"}""")]
    [InlineData("- a\n- 1\n", """["a",1]""")]
    [InlineData("a: 1\n---\nb: 2\n", """{"a":1}""")]
    [InlineData("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    app: web\ndata:\n  k: v\n",
        """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labels":{"app":"web"}},"data":{"k":"v"}}""")]
    public void ToJson_ConvertsLikeSigsYaml(string yaml, string json)
    {
        var result = Yaml.ToJson(yaml, out var duplicates);
        Assert.Equal(JsonNode.Parse(json)!.ToJsonString(), result!.ToJsonString());
        Assert.Null(duplicates);
    }

    [Fact]
    public void ToJson_EmptyDocumentIsNull() => Assert.Null(Yaml.ToJson(""));

    [Fact]
    public void ToJson_ReportsDuplicateKeysAndKeepsTheLast()
    {
        var result = Yaml.ToJson("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", out var duplicates);
        Assert.Equal("""{"a":3,"b":{"c":2}}""", result!.ToJsonString());
        Assert.Equal("error converting YAML to JSON: yaml: unmarshal errors:\n  line 4: key \"c\" already set in map\n  line 5: key \"a\" already set in map", duplicates);
    }

    [Theory]
    [InlineData("a: b: c")]
    [InlineData("a: [1, 2")]
    [InlineData("a: *missing")]
    [InlineData("a: .inf")]
    public void ToJson_MalformedYamlIsBadRequest(string yaml)
    {
        var e = Assert.Throws<StatusError>(() => Yaml.ToJson(yaml));
        Assert.Equal(400, e.Code);
        Assert.StartsWith("error converting YAML to JSON: ", e.Message);
    }

    [Fact]
    public void FromJson_WritesSortedBlockYaml()
    {
        var json = JsonNode.Parse("""{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","labels":{}},"data":{"b":"true","a":"line1\nline2\n","c":"","d":"1","e":"plain text","a10":"x","a9":"y"},"list":[1,{"k":null}],"empty":[]}""");
        var expected = """
            apiVersion: v1
            data:
              a: |
                line1
                line2
              a9: "y"
              a10: x
              b: "true"
              c: ""
              d: "1"
              e: plain text
            empty: []
            kind: ConfigMap
            list:
            - 1
            - k: null
            metadata:
              labels: {}
              name: x

            """.Replace("\r\n", "\n");
        Assert.Equal(expected, Yaml.FromJson(json).Replace("\r\n", "\n"));
    }

    [Fact]
    public void FromJson_RoundTrips()
    {
        var json = JsonNode.Parse("""{"a":"yes","b":"0x10","c":"-","d":"a: b","e":[true,false,null,1.5],"f":"12:30"}""");
        Assert.Equal(TestJson.Canon(json), TestJson.Canon(Yaml.ToJson(Yaml.FromJson(json))));
    }
}
