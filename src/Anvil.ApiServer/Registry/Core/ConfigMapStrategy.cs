using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>core/v1 ConfigMap (pkg/registry/core/configmap/strategy.go).</summary>
public sealed class ConfigMapStrategy : BuiltinStrategy
{
    public static readonly ConfigMapStrategy Instance = new();

    /// <summary>core.MaxSecretSize, shared by ConfigMaps and Secrets.</summary>
    public const int MaxSize = 1024 * 1024;

    public override IEnumerable<FieldError> Validate(JsonObject obj)
    {
        var data = Obj(obj["data"]);
        var binary = Obj(obj["binaryData"]);
        long total = 0;
        foreach (var (key, value) in data ?? [])
        {
            foreach (var m in NameValidation.IsConfigMapKey(key)) yield return FieldError.Invalid($"data[{key}]", key, m);
            if (binary?.ContainsKey(key) == true) yield return FieldError.Invalid($"data[{key}]", key, "duplicate of key present in binaryData");
            total += Utf8Length(value);
        }
        foreach (var (key, value) in binary ?? [])
        {
            foreach (var m in NameValidation.IsConfigMapKey(key)) yield return FieldError.Invalid($"binaryData[{key}]", key, m);
            if (data?.ContainsKey(key) == true) yield return FieldError.Invalid($"binaryData[{key}]", key, "duplicate of key present in data");
            total += SecretStrategy.DecodedLength(Str(value));
        }
        if (total > MaxSize) yield return FieldError.TooLong("", "", MaxSize);
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        if (Bool(old["immutable"]) == true)
        {
            if (Bool(obj["immutable"]) != true) yield return FieldError.Forbidden("immutable", "field is immutable when `immutable` is set");
            if (!JsonNode.DeepEquals(obj["data"], old["data"])) yield return FieldError.Forbidden("data", "field is immutable when `immutable` is set");
            if (!JsonNode.DeepEquals(obj["binaryData"], old["binaryData"])) yield return FieldError.Forbidden("binaryData", "field is immutable when `immutable` is set");
        }
        foreach (var e in Validate(obj)) yield return e;
    }
}
