using Anvil.Machinery.Errors;

namespace Anvil.Machinery.Patches;

/// <summary>The Status errors kube-apiserver's patch handler produces for patch failures.</summary>
internal static class PatchErrors
{
    /// <summary>
    /// A plain Go error that reached the handler: responsewriters turn it into code 500 with an empty
    /// (Unknown) reason and the error text as message; kubectl prints "Error from server: &lt;text&gt;".
    /// </summary>
    public static StatusError Unknown(string message) => new(500, "", message);

    /// <summary>NewGenericServerResponse(422, ...): the underlying message is dropped, as upstream does.</summary>
    public static StatusError Unprocessable() =>
        new(422, "Invalid", "the server rejected our request due to an error in our request");

    public static StatusError NoMergeKey(System.Text.Json.Nodes.JsonNode? map, string key) =>
        Unknown($"map: {GoFormat.Value(map)} does not contain declared merge key: {key}");

    public static StatusError BadArgType(string expected, System.Text.Json.Nodes.JsonNode? actual) =>
        Unknown($"expected a {expected}, but received a {GoFormat.TypeName(actual)}");

    public const string MapType = "map[string]interface {}";
    public const string SliceType = "[]interface {}";
}
