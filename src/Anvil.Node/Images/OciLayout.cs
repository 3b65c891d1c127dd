using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Node.Runtime;

namespace Anvil.Node.Images;

/// <summary>
/// Unpacks an OCI image layout directory (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/sha256/…</c>):
/// index.json → the manifest (following one nested index, preferring linux/amd64) → the config document and the
/// layers, applied in order with whiteouts (<c>.wh.&lt;name&gt;</c> deletes a lower entry, <c>.wh..wh..opq</c>
/// empties the lower directory).
/// </summary>
public static class OciLayout
{
    public const string OpaqueWhiteout = ".wh..wh..opq";
    public const string WhiteoutPrefix = ".wh.";

    public static bool IsLayout(string dir) => File.Exists(Path.Combine(dir, "index.json")) && Directory.Exists(Path.Combine(dir, "blobs"));

    /// <summary>Applies the image's layers to <paramref name="rootfs"/> and returns its config document.</summary>
    public static async Task<JsonObject> UnpackAsync(string layout, string rootfs, CancellationToken ct)
    {
        var manifest = Manifest(layout, ReadJson(Path.Combine(layout, "index.json")), 0);
        var config = manifest["config"]?["digest"] is JsonValue d ? ReadJson(Blob(layout, (string)d!)) : new JsonObject();
        Directory.CreateDirectory(rootfs);
        foreach (var layer in (manifest["layers"] as JsonArray ?? []).OfType<JsonObject>())
            await ApplyLayerAsync(Blob(layout, (string?)layer["digest"] ?? ""), rootfs, ct).ConfigureAwait(false);
        return config;
    }

    private static JsonObject Manifest(string layout, JsonObject index, int depth)
    {
        var entries = (index["manifests"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (entries.Count == 0) throw new InvalidDataException("index.json lists no manifests");
        var pick = entries.FirstOrDefault(m => (string?)m["platform"]?["os"] == "linux" && (string?)m["platform"]?["architecture"] == "amd64") ?? entries[0];
        var doc = ReadJson(Blob(layout, (string?)pick["digest"] ?? ""));
        var mediaType = (string?)pick["mediaType"] ?? (string?)doc["mediaType"] ?? "";
        if (doc["manifests"] != null || mediaType.Contains("index", StringComparison.Ordinal) || mediaType.Contains("manifest.list", StringComparison.Ordinal))
            return depth < 2 ? Manifest(layout, doc, depth + 1) : throw new InvalidDataException("image indexes nested too deep");
        return doc;
    }

    private static string Blob(string layout, string digest)
    {
        var colon = digest.IndexOf(':');
        if (colon <= 0 || digest[(colon + 1)..].Contains('/') || digest.Contains(".."))
            throw new InvalidDataException($"invalid digest \"{digest}\"");
        var path = Path.Combine(layout, "blobs", digest[..colon], digest[(colon + 1)..]);
        return File.Exists(path) ? path : throw new InvalidDataException($"blob {digest} is missing from the layout");
    }

    private static JsonObject ReadJson(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{Path.GetFileName(path)} is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Path.GetFileName(path)}: {e.Message}");
        }
    }

    /// <summary>
    /// One layer tarball (plain or compressed; tar detects it) onto a root filesystem: extracted into a staging
    /// directory, whiteouts applied to the root, then the rest copied over it.
    /// </summary>
    public static async Task ApplyLayerAsync(string tarball, string rootfs, CancellationToken ct)
    {
        var staging = rootfs.TrimEnd('/') + ".layer-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(staging);
        try
        {
            await Run("tar", ["--numeric-owner", "-xpf", tarball, "-C", staging], ct).ConfigureAwait(false);
            ApplyWhiteouts(staging, rootfs, staging);
            await Run("cp", ["-a", staging + "/.", rootfs], ct).ConfigureAwait(false);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, true);
        }
    }

    /// <summary>Removes what the layer's whiteout files hide from the root, and the whiteout files themselves.</summary>
    private static void ApplyWhiteouts(string staging, string rootfs, string dir)
    {
        var relative = Path.GetRelativePath(staging, dir);
        // A whiteout never reaches through a symlink of the lower layers (it could point out of the rootfs).
        var target = relative == "." ? rootfs : ThroughNoSymlink(rootfs, relative);
        if (target == null) return;
        var opaque = Path.Combine(dir, OpaqueWhiteout);
        if (File.Exists(opaque))
        {
            if (Directory.Exists(target) && !IsSymlink(target))
                foreach (var entry in Directory.EnumerateFileSystemEntries(target)) Delete(entry);
            File.Delete(opaque);
        }
        foreach (var file in Directory.GetFiles(dir))
        {
            var name = Path.GetFileName(file);
            if (!name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal)) continue;
            var hidden = name[WhiteoutPrefix.Length..];
            if (hidden.Length > 0 && hidden != "." && hidden != "..") Delete(Path.Combine(target, hidden));
            File.Delete(file);
        }
        foreach (var sub in Directory.GetDirectories(dir))
            if (!IsSymlink(sub)) ApplyWhiteouts(staging, rootfs, sub);
    }

    private static string? ThroughNoSymlink(string rootfs, string relative)
    {
        var path = rootfs;
        foreach (var part in relative.Split('/'))
        {
            path = Path.Combine(path, part);
            if (IsSymlink(path)) return null;
        }
        return path;
    }

    private static bool IsSymlink(string path) => new FileInfo(path).LinkTarget != null;

    private static void Delete(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget != null || info.Exists) File.Delete(path);
        else if (Directory.Exists(path)) Directory.Delete(path, true);
    }

    internal static async Task Run(string file, string[] args, CancellationToken ct)
    {
        var (code, _, err) = await HostCommand.RunAsync(file, args, ct).ConfigureAwait(false);
        if (code != 0) throw new IOException($"{file} {string.Join(' ', args)} failed: {err.Trim()}");
    }
}
