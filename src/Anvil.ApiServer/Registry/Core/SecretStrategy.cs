using System.Text;
using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;
using static Anvil.ApiServer.Registry.JsonDefaults;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>core/v1 Secret (pkg/registry/core/secret/strategy.go). stringData is merged into data, as the v1 conversion does.</summary>
public sealed class SecretStrategy : BuiltinStrategy
{
    public static readonly SecretStrategy Instance = new();

    public override void Default(JsonObject obj)
    {
        String(obj, "type", "Opaque");
        if (obj["stringData"] is JsonObject stringData)
        {
            var data = Object(obj, "data");
            foreach (var (key, value) in stringData)
                data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Str(value) ?? ""));
            obj.Remove("stringData");
        }
    }

    /// <summary>The byte length of a base64 value (0 when absent or malformed; the decoder rejects those first).</summary>
    internal static long DecodedLength(string? base64)
    {
        if (string.IsNullOrEmpty(base64)) return 0;
        var pad = base64.EndsWith("==", StringComparison.Ordinal) ? 2 : base64.EndsWith('=') ? 1 : 0;
        return base64.Length / 4 * 3 - pad;
    }

    static bool TryDecode(string? base64, out byte[] bytes)
    {
        bytes = [];
        if (base64 == null) return false;
        try { bytes = Convert.FromBase64String(base64); return true; }
        catch (FormatException) { return false; }
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var data = Obj(obj["data"]);
        long total = 0;
        foreach (var (key, value) in data ?? [])
        {
            foreach (var m in NameValidation.IsConfigMapKey(key)) yield return FieldError.Invalid($"data[{key}]", key, m);
            total += DecodedLength(Str(value));
        }
        if (total > ConfigMapStrategy.MaxSize) yield return FieldError.TooLong("data", "", ConfigMapStrategy.MaxSize);
        bool Has(string key) => data?.ContainsKey(key) == true;
        switch (Str(obj["type"]) ?? "")
        {
            case "kubernetes.io/service-account-token":
                if (string.IsNullOrEmpty(Str(obj["metadata"]?["annotations"]?["kubernetes.io/service-account.name"])))
                    yield return FieldError.Required("metadata.annotations[kubernetes.io/service-account.name]");
                break;
            case "kubernetes.io/dockercfg" or "kubernetes.io/dockerconfigjson":
                var key = Str(obj["type"]) == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
                if (!Has(key)) { yield return FieldError.Required($"data[{key}]"); break; }
                string? error = null;
                if (TryDecode(Str(data![key]), out var bytes))
                {
                    try { if (JsonNode.Parse(bytes) is not JsonObject) error = "json: cannot unmarshal into Go value of type map[string]interface {}"; }
                    catch (System.Text.Json.JsonException) { error = "unexpected end of JSON input"; }
                }
                if (error != null) yield return FieldError.Invalid($"data[{key}]", "<secret contents redacted>", error);
                break;
            case "kubernetes.io/basic-auth":
                if (!Has("username") && !Has("password"))
                {
                    yield return FieldError.Required("data[username]");
                    yield return FieldError.Required("data[password]");
                }
                break;
            case "kubernetes.io/ssh-auth":
                if (DecodedLength(Str(data?["ssh-privatekey"])) == 0) yield return FieldError.Required("data[ssh-privatekey]");
                break;
            case "kubernetes.io/tls":
                if (!Has("tls.crt")) yield return FieldError.Required("data[tls.crt]");
                if (!Has("tls.key")) yield return FieldError.Required("data[tls.key]");
                break;
        }
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        foreach (var e in ObjectMetaValidation.ValidateImmutableField(obj["type"], old["type"], "type")) yield return e;
        if (Bool(old["immutable"]) == true)
        {
            if (Bool(obj["immutable"]) != true) yield return FieldError.Forbidden("immutable", "field is immutable when `immutable` is set");
            if (!JsonNode.DeepEquals(obj["data"], old["data"])) yield return FieldError.Forbidden("data", "field is immutable when `immutable` is set");
        }
        foreach (var e in Validate(obj)) yield return e;
    }
}
