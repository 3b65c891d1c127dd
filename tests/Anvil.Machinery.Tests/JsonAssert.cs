using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tests;

internal static class JsonAssert
{
    /// <summary>Deep equality ignoring property order; shows both documents on failure.</summary>
    public static void Equal(string expectedJson, JsonNode? actual) => Equal(JsonNode.Parse(expectedJson), actual);

    public static void Equal(JsonNode? expected, JsonNode? actual)
    {
        if (!JsonNode.DeepEquals(expected, actual))
            Assert.Fail($"JSON differs.\nexpected: {expected?.ToJsonString() ?? "null"}\nactual:   {actual?.ToJsonString() ?? "null"}");
    }
}
