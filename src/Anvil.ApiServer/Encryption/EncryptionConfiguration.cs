using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Certificates;
using Anvil.ApiServer.Config;

namespace Anvil.ApiServer.Encryption;

/// <summary>
/// kube-apiserver's <c>EncryptionConfiguration</c> (apiserver.config.k8s.io/v1), read from YAML or JSON.
/// Supported providers: <c>aescbc</c>, <c>aesgcm</c>, <c>identity</c>; <c>secretbox</c> and <c>kms</c> are refused.
/// </summary>
public sealed class EncryptionConfiguration
{
    public const string ApiVersion = "apiserver.config.k8s.io/v1";
    public const string Kind = "EncryptionConfiguration";
    public const string DefaultFileName = "encryption-config.yaml";

    public EncryptionConfiguration(IReadOnlyList<ResourceEncryption> resources) => Resources = resources;

    /// <summary>The entries in file order; the first that covers a resource decides for it.</summary>
    public IReadOnlyList<ResourceEncryption> Resources { get; }

    /// <summary>The entry for a store key <c>/registry/&lt;group|core&gt;/&lt;resource&gt;/...</c>, or null when it is stored as is.</summary>
    public ResourceEncryption? For(string storageKey)
    {
        if (!storageKey.StartsWith("/registry/", StringComparison.Ordinal)) return null;
        var rest = storageKey.AsSpan("/registry/".Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0) return null;
        var group = rest[..slash].ToString();
        rest = rest[(slash + 1)..];
        slash = rest.IndexOf('/');
        if (slash <= 0) return null;
        var resource = rest[..slash].ToString();
        if (group == "core") group = "";
        foreach (var r in Resources)
            if (r.Covers(group, resource)) return r;
        return null;
    }

    public static EncryptionConfiguration Load(string path) =>
        ConfigFile.Load(path, "error reading encryption provider configuration file", "error while parsing file", Parse, (message, e) => new EncryptionException(message, e));

    /// <summary>Loads <paramref name="path"/>, first writing the default configuration (0600) when it does not exist.</summary>
    public static EncryptionConfiguration LoadOrCreate(string path)
    {
        if (!File.Exists(path)) FileModes.WritePrivate(path, DefaultYaml(NewKey()));
        return Load(path);
    }

    /// <summary>aescbc with one key <c>key1</c> for secrets, then identity so values written before encryption still read.</summary>
    public static string DefaultYaml(string base64Key) => $$"""
        # Written by anvil on first start: secrets are encrypted at rest with AES-CBC.
        # Rotate with `anvil admin rotate-encryption-key`. Keep this file private (0600) and backed up:
        # without it, stored secrets cannot be read.
        apiVersion: {{ApiVersion}}
        kind: {{Kind}}
        resources:
          - resources:
              - secrets
            providers:
              - aescbc:
                  keys:
                    - name: key1
                      secret: {{base64Key}}
              - identity: {}

        """;

    /// <summary>A new random 32-byte key, base64 as the configuration holds it.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static EncryptionConfiguration Parse(string text)
    {
        var obj = Document(text);
        if (obj["resources"] is not JsonArray resources || resources.Count == 0)
            throw new EncryptionException("resources: Required value: EncryptionConfiguration.Resources must contain at least one resource");
        var list = new List<ResourceEncryption>();
        for (var i = 0; i < resources.Count; i++)
        {
            var path = $"resources[{i}]";
            if (resources[i] is not JsonObject entry) throw new EncryptionException($"{path}: Invalid value: must be an object");
            var names = (entry["resources"] as JsonArray ?? throw new EncryptionException($"{path}.resources: Required value"))
                .Select(n => Str(n)).ToList();
            if (names.Count == 0 || names.Any(n => n.Length == 0)) throw new EncryptionException($"{path}.resources: Required value");
            var providers = entry["providers"] as JsonArray ?? throw new EncryptionException($"{path}.providers: Required value");
            var transformers = new List<ValueTransformer>();
            for (var j = 0; j < providers.Count; j++)
                transformers.AddRange(Provider(providers[j], $"{path}.providers[{j}]"));
            list.Add(new ResourceEncryption(names, transformers));
        }
        return new EncryptionConfiguration(list);
    }

    /// <summary>The configuration's object, its apiVersion and kind checked.</summary>
    internal static JsonObject Document(string text) =>
        ConfigFile.Parse(text, ApiVersion, Kind, (message, e) => new EncryptionException(message, e));

    private static IEnumerable<ValueTransformer> Provider(JsonNode? node, string path)
    {
        if (node is not JsonObject p || p.Count != 1)
            throw new EncryptionException($"{path}: Invalid value: exactly one provider must be configured per entry");
        var (type, body) = p.First();
        switch (type)
        {
            case "identity":
                return [IdentityTransformer.Instance];
            case "aescbc" or "aesgcm":
                var keys = body?["keys"] as JsonArray;
                if (keys == null || keys.Count == 0) throw new EncryptionException($"{path}.{type}.keys: Required value: keys list cannot be empty");
                var result = new List<ValueTransformer>();
                for (var k = 0; k < keys.Count; k++)
                {
                    var name = Str(keys[k]?["name"]);
                    var secret = Str(keys[k]?["secret"]);
                    if (name.Length == 0) throw new EncryptionException($"{path}.{type}.keys[{k}].name: Required value");
                    if (name.Contains(':')) throw new EncryptionException($"{path}.{type}.keys[{k}].name: Invalid value: \"{name}\": should not contain ':'");
                    if (result.Any(t => t.KeyName == name)) throw new EncryptionException($"{path}.{type}.keys[{k}].name: Duplicate value: \"{name}\"");
                    byte[] key;
                    try
                    {
                        key = Convert.FromBase64String(secret);
                    }
                    catch (FormatException)
                    {
                        throw new EncryptionException($"{path}.{type}.keys[{k}].secret: Invalid value: \"REDACTED\": secrets must be base64 encoded");
                    }
                    result.Add(type == "aescbc" ? new AesCbcTransformer(name, key) : new AesGcmTransformer(name, key));
                }
                return result;
            case "secretbox" or "kms":
                throw new EncryptionException($"{path}: Unsupported value: \"{type}\": anvil supports aescbc, aesgcm and identity");
            default:
                throw new EncryptionException($"{path}: Unsupported value: \"{type}\": supported values: \"aescbc\", \"aesgcm\", \"identity\"");
        }
    }

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
