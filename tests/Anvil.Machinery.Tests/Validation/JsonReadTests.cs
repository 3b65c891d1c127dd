using System.Text;
using System.Text.Json.Nodes;
using Anvil.Machinery.Serialization;
using Anvil.Machinery.Validation;
using Xunit;

namespace Anvil.Machinery.Tests.Validation;

public class JsonReadTests
{
    [Theory]
    [InlineData("""{"v":"plain"}""", 5)]
    [InlineData("""{"v":""}""", 0)]
    [InlineData("""{"v":"é ü €"}""", 9)] // multi-byte characters, measured in the parsed bytes
    [InlineData("""{"v":"a\"b\\c\n"}""", 6)] // escapes: the decoded string's length, not the raw text's
    [InlineData("""{"v":"\u00e9"}""", 2)]
    [InlineData("""{"v":12}""", 0)]
    [InlineData("""{"v":null}""", 0)]
    public void Utf8Length_OfParsedValues_IsTheDecodedStringsByteCount(string json, long expected)
    {
        var parsed = KubeJson.ParseObject(Encoding.UTF8.GetBytes(json))["v"];
        Assert.Equal(expected, JsonRead.Utf8Length(parsed));
        if (JsonRead.Str(parsed) is { } s) Assert.Equal(Encoding.UTF8.GetByteCount(s), JsonRead.Utf8Length(parsed));
    }

    [Fact]
    public void Utf8Length_OfBuiltValues_CountsTheirUtf8()
    {
        Assert.Equal(4, JsonRead.Utf8Length(JsonValue.Create("€a")));
        Assert.Equal(0, JsonRead.Utf8Length(null));
        Assert.Equal(0, JsonRead.Utf8Length(new JsonObject()));
    }
}
