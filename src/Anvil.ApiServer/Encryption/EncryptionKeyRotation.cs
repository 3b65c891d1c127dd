using System.Text.Json.Nodes;
using Anvil.ApiServer.Certificates;
using Anvil.Machinery.Serialization;
using Anvil.Storage;

namespace Anvil.ApiServer.Encryption;

/// <summary>
/// Key rotation: a new random key goes first in the aescbc provider's keys (the old ones stay, so every
/// stored value still reads), then every covered value is rewritten with it.
/// </summary>
public static class EncryptionKeyRotation
{
    /// <summary>
    /// Adds a new aescbc key in front of the existing ones in every resources entry whose first provider is
    /// aescbc, and writes the file back (0600; comments are not kept). Returns the new key's name.
    /// </summary>
    /// <exception cref="EncryptionException">No entry encrypts with aescbc, or the file is invalid.</exception>
    public static string AddKey(string configPath)
    {
        var text = File.ReadAllText(configPath);
        EncryptionConfiguration.Parse(text); // refuse to rewrite a file the server could not read
        var root = EncryptionConfiguration.Document(text);
        var entries = root["resources"]!.AsArray().OfType<JsonObject>()
            .Select(e => e["providers"]?.AsArray().FirstOrDefault()?["aescbc"]?["keys"] as JsonArray)
            .Where(k => k != null).Select(k => k!).ToList();
        if (entries.Count == 0)
            throw new EncryptionException($"{configPath}: no resources entry has aescbc as its first provider; nothing to rotate");
        var used = entries.SelectMany(k => k.Select(x => x?["name"]?.GetValue<string>() ?? "")).ToHashSet();
        var n = 1;
        while (used.Contains($"key{n}")) n++;
        var name = $"key{n}";
        foreach (var keys in entries)
            keys.Insert(0, new JsonObject { ["name"] = name, ["secret"] = EncryptionConfiguration.NewKey() });
        FileModes.WritePrivate(configPath, Yaml.FromJson(root));
        return name;
    }

    /// <summary>Rotates the key of a stopped server's store: adds the key, then re-encrypts every covered value in <paramref name="store"/> (the raw store).</summary>
    public static async Task<(string KeyName, int Rewritten)> RotateAsync(string configPath, IStore store, CancellationToken ct = default)
    {
        var name = AddKey(configPath);
        var encrypting = new EncryptingStore(store, EncryptionConfiguration.Load(configPath));
        var rewritten = await encrypting.RewriteAsync(ct).ConfigureAwait(false);
        return (name, rewritten);
    }
}
