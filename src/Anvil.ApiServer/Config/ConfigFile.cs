using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Serialization;

namespace Anvil.ApiServer.Config;

/// <summary>
/// A kube-apiserver configuration file (audit policy, encryption configuration): one object in YAML or JSON
/// with a fixed apiVersion and kind. Each caller keeps its own exception type and its upstream wording through
/// <c>fail</c>, which turns a message (and the cause) into the exception to throw.
/// </summary>
internal static class ConfigFile
{
    /// <summary>
    /// Reads <paramref name="path"/> and decodes it with <paramref name="parse"/>. A file that cannot be read fails
    /// with <c>{readError} "{path}": ...</c>, one that <paramref name="parse"/> refuses with <c>{parseError} "{path}": ...</c>.
    /// </summary>
    public static T Load<T, TError>(string path, string readError, string parseError, Func<string, T> parse, Func<string, Exception, TError> fail)
        where TError : Exception
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw fail($"{readError} \"{path}\": {e.Message}", e);
        }
        try
        {
            return parse(text);
        }
        catch (TError e)
        {
            throw fail($"{parseError} \"{path}\": {e.Message}", e);
        }
    }

    /// <summary>The object <paramref name="text"/> holds, after checking its apiVersion and kind.</summary>
    public static JsonObject Parse<TError>(string text, string apiVersion, string kind, Func<string, Exception?, TError> fail)
        where TError : Exception
    {
        JsonNode? root;
        try
        {
            root = Yaml.ToJson(text);
        }
        catch (StatusError e)
        {
            throw fail(e.Message, e);
        }
        if (root is not JsonObject obj) throw fail($"the {kind} is not an object", null);
        var actualKind = Str(obj["kind"]);
        var actualVersion = Str(obj["apiVersion"]);
        if (actualKind != kind) throw fail($"kind: Invalid value: \"{actualKind}\": must be {kind}", null);
        if (actualVersion != apiVersion) throw fail($"apiVersion: Invalid value: \"{actualVersion}\": must be {apiVersion}", null);
        return obj;
    }

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
