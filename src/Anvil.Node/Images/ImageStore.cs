using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Node.Images;

/// <summary>
/// The local image store (registry name <c>anvil.local</c>): images by name and tag under
/// <c>&lt;data-dir&gt;/images/&lt;name&gt;/&lt;tag&gt;/</c>, each a version directory (<c>rootfs/</c>, the OCI image
/// config <c>config.json</c>, <c>image.json</c> with digest, size and creation time) named by the tag's
/// <c>current</c> file. Versions are made in <c>images/.tmp</c> and renamed into place, so readers never see a
/// half-made image; a replaced or removed version stays while an overlay mount still uses it as its lower dir.
/// No registry is reachable: references to <c>anvil.local</c> and Docker Hub are answered from the store, and
/// every <c>busybox</c> tag not in the store maps to the built-in image made from Debian's busybox-static.
/// </summary>
public sealed class ImageStore
{
    private const string Current = "current";
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly ConcurrentDictionary<string, string> _ids = new();

    public ImageStore(string dataDir) => Root = Path.Combine(dataDir, "images");

    /// <summary>The store's directory.</summary>
    public string Root { get; }

    /// <summary>Host path of the busybox-static binary the built-in image is made from.</summary>
    public string BusyboxBinary { get; init; } = "/bin/busybox";

    /// <summary>Where /proc/self/mountinfo is (tests point it elsewhere).</summary>
    public string MountInfo { get; init; } = "/proc/self/mountinfo";

    /// <summary>The local store name a reference maps to (<c>busybox</c>, <c>toolforge/python</c>), or null for other registries.</summary>
    public static string? LocalName(string reference) =>
        ImageReference.TryParse(reference, out var r, out _) ? r!.LocalName : null;

    private string TagDir(string name, string tag) => Path.Combine(Root, name.Replace('/', '+'), tag);

    /// <summary>The image stored under a name and tag, or null.</summary>
    public StoredImage? Find(string name, string tag)
    {
        var dir = TagDir(name, tag);
        string version;
        try { version = File.ReadAllText(Path.Combine(dir, Current)).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        return version.Length == 0 || version.Contains('/') ? null : Load(Path.Combine(dir, version));
    }

    private static StoredImage? Load(string versionDir)
    {
        try
        {
            var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(versionDir, "image.json")))!.AsObject();
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(versionDir, "config.json"))) as JsonObject;
            return new StoredImage((string)meta["name"]!, (string)meta["tag"]!, (string)meta["digest"]!, Path.Combine(versionDir, "rootfs"),
                ImageConfig.FromOci(config), (long)meta["size"]!, DateTimeOffset.Parse((string)meta["created"]!, CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException or NullReferenceException)
        {
            return null;
        }
    }

    /// <summary>Every stored image, by name then tag.</summary>
    public IReadOnlyList<StoredImage> List()
    {
        var result = new List<StoredImage>();
        if (!Directory.Exists(Root)) return result;
        foreach (var nameDir in Directory.GetDirectories(Root).Where(d => !Path.GetFileName(d).StartsWith('.')))
            foreach (var tagDir in Directory.GetDirectories(nameDir))
                if (Find(Path.GetFileName(nameDir).Replace('+', '/'), Path.GetFileName(tagDir)) is { } image) result.Add(image);
        return result.OrderBy(i => i.Name, StringComparer.Ordinal).ThenBy(i => i.Tag, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The image a pod's reference names: the stored name:tag, else the built-in busybox (made on first use) for
    /// any busybox tag; null when the store cannot provide it (the kubelet's ErrImageNeverPull).
    /// </summary>
    public async Task<StoredImage?> ResolveAsync(string reference, CancellationToken ct)
    {
        if (!ImageReference.TryParse(reference, out var r, out _) || r!.LocalName is not { } name) return null;
        var image = Find(name, r.Tag);
        if (image == null && name == "busybox") image = await EnsureBusyboxAsync(ct).ConfigureAwait(false);
        if (image != null) _ids[reference] = image.ImageId;
        return image;
    }

    /// <summary>The rootfs of the image a reference names (see <see cref="ResolveAsync"/>).</summary>
    public async Task<string?> EnsureAsync(string reference, CancellationToken ct) => (await ResolveAsync(reference, ct).ConfigureAwait(false))?.Rootfs;

    /// <summary>
    /// The imageID of the image a reference resolved to (looked up without building when this process has not
    /// resolved it, e.g. for containers adopted after a restart); "" when the store has no such image.
    /// </summary>
    public string IdOf(string reference)
    {
        if (_ids.TryGetValue(reference, out var id)) return id;
        if (!ImageReference.TryParse(reference, out var r, out _) || r!.LocalName is not { } name) return "";
        var image = Find(name, r.Tag) ?? (name == "busybox" ? Find("busybox", "latest") : null);
        if (image == null) return "";
        _ids[reference] = image.ImageId;
        return image.ImageId;
    }

    private async Task<StoredImage?> EnsureBusyboxAsync(CancellationToken ct)
    {
        if (Find("busybox", "latest") is { } existing) return existing;
        if (!File.Exists(BusyboxBinary)) return null;
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (Find("busybox", "latest") is { } made) return made;
            return await AddAsync("busybox", "latest", rootfs =>
            {
                BuildBusybox(rootfs);
                return Task.FromResult(new ImageConfig([ImageConfig.DefaultPath], [], ["sh"]).ToOci(DateTimeOffset.UtcNow));
            }, ct).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Imports a root filesystem directory, a rootfs tarball (plain or compressed) or an OCI image layout
    /// (directory or tarball) as name:tag, replacing what the tag named before.
    /// </summary>
    public Task<StoredImage> ImportAsync(string name, string tag, string path, CancellationToken ct)
    {
        if (Directory.Exists(path))
        {
            var source = Path.GetFullPath(path);
            return AddAsync(name, tag, async rootfs =>
            {
                if (OciLayout.IsLayout(source)) return await OciLayout.UnpackAsync(source, rootfs, ct).ConfigureAwait(false);
                await OciLayout.Run("cp", ["-a", source + "/.", rootfs], ct).ConfigureAwait(false);
                return ImageConfig.Empty.ToOci(DateTimeOffset.UtcNow);
            }, ct);
        }
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or directory");
        var tarball = Path.GetFullPath(path);
        return AddAsync(name, tag, async rootfs =>
        {
            await OciLayout.Run("tar", ["--numeric-owner", "-xpf", tarball, "-C", rootfs], ct).ConfigureAwait(false);
            if (!OciLayout.IsLayout(rootfs)) return ImageConfig.Empty.ToOci(DateTimeOffset.UtcNow);
            // An OCI layout archive: unpack its image in place of the archive's files.
            var layout = rootfs + ".oci";
            Directory.Move(rootfs, layout);
            try { return await OciLayout.UnpackAsync(layout, rootfs, ct).ConfigureAwait(false); }
            finally { Directory.Delete(layout, true); }
        }, ct);
    }

    /// <summary>Builds a Debian minbase image with mmdebstrap from <paramref name="mirror"/>.</summary>
    public Task<StoredImage> BuildAsync(ImageRecipe recipe, string mirror, CancellationToken ct) =>
        AddAsync(recipe.Name, recipe.Tag, async rootfs =>
        {
            Directory.Delete(rootfs); // mmdebstrap makes the directory itself
            var args = new List<string> { "--variant=minbase", "--quiet" };
            if (recipe.Packages.Count > 0) args.Add("--include=" + string.Join(',', recipe.Packages));
            args.AddRange([recipe.Suite, rootfs, mirror]);
            await OciLayout.Run("mmdebstrap", [.. args], ct).ConfigureAwait(false);
            return recipe.Config.ToOci(DateTimeOffset.UtcNow);
        }, ct);

    /// <summary>
    /// Makes a version in <c>.tmp</c> (<paramref name="fill"/> populates the rootfs and returns the image config
    /// document), renames it under the tag and points the tag at it; the previous version goes once unused.
    /// </summary>
    public async Task<StoredImage> AddAsync(string name, string tag, Func<string, Task<JsonObject>> fill, CancellationToken ct)
    {
        var reference = ImageReference.Parse($"{name}:{tag}");
        if (reference.LocalName != name || reference.Digest != null) throw new FormatException($"invalid image name \"{name}:{tag}\"");
        var version = "v-" + Guid.NewGuid().ToString("N")[..16];
        var staging = Path.Combine(Root, ".tmp", version);
        Directory.CreateDirectory(Path.Combine(staging, "rootfs"));
        try
        {
            var config = await fill(Path.Combine(staging, "rootfs")).ConfigureAwait(false);
            var configBytes = JsonSerializer.SerializeToUtf8Bytes(config);
            await File.WriteAllBytesAsync(Path.Combine(staging, "config.json"), configBytes, ct).ConfigureAwait(false);
            var created = DateTimeOffset.TryParse((string?)config["created"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var c) ? c : DateTimeOffset.UtcNow;
            var meta = new JsonObject
            {
                ["name"] = name,
                ["tag"] = tag,
                ["digest"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(configBytes)),
                ["size"] = SizeOf(Path.Combine(staging, "rootfs")),
                ["created"] = created.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            };
            await File.WriteAllTextAsync(Path.Combine(staging, "image.json"), meta.ToJsonString(), ct).ConfigureAwait(false);
            var tagDir = TagDir(name, tag);
            Directory.CreateDirectory(tagDir);
            Directory.Move(staging, Path.Combine(tagDir, version));
            var pointer = Path.Combine(tagDir, $".{Current}-{version}");
            await File.WriteAllTextAsync(pointer, version + "\n", ct).ConfigureAwait(false);
            File.Move(pointer, Path.Combine(tagDir, Current), overwrite: true);
            CollectGarbage(tagDir);
            return Find(name, tag) ?? throw new IOException($"image {name}:{tag} vanished after it was stored");
        }
        finally
        {
            if (Directory.Exists(staging)) await OciLayout.Run("rm", ["-rf", "--one-file-system", staging], CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes name:tag. Its files go now unless a container's overlay still uses them as its lower dir; such a
    /// version stays (unnamed) until a later store operation finds it unused. False when the tag is not stored.
    /// </summary>
    public bool Remove(string name, string tag)
    {
        var tagDir = TagDir(name, tag);
        if (Find(name, tag) == null) return false;
        File.Delete(Path.Combine(tagDir, Current));
        CollectGarbage(tagDir);
        return true;
    }

    /// <summary>Whether a version's rootfs is the lower dir of a mounted overlay (a container created from it).</summary>
    public bool InUse(StoredImage image) => InUse(image.Rootfs);

    private bool InUse(string rootfs)
    {
        string text;
        try { text = File.ReadAllText(MountInfo); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return true; }
        var needle = "lowerdir=" + rootfs;
        for (var i = text.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = text.IndexOf(needle, i + 1, StringComparison.Ordinal))
        {
            var end = i + needle.Length;
            if (end == text.Length || text[end] is ',' or ':' or ' ' or '\n') return true;
        }
        return false;
    }

    /// <summary>Deletes the versions of a tag that are not current and not in use; the tag dir when empty.</summary>
    private void CollectGarbage(string tagDir)
    {
        if (!Directory.Exists(tagDir)) return;
        string current = "";
        try { current = File.ReadAllText(Path.Combine(tagDir, Current)).Trim(); } catch (IOException) { }
        foreach (var version in Directory.GetDirectories(tagDir))
        {
            if (Path.GetFileName(version) == current || InUse(Path.Combine(version, "rootfs"))) continue;
            Directory.Delete(version, true);
        }
        if (!Directory.EnumerateFileSystemEntries(tagDir).Any())
        {
            Directory.Delete(tagDir);
            var nameDir = Path.GetDirectoryName(tagDir)!;
            if (!Directory.EnumerateFileSystemEntries(nameDir).Any()) Directory.Delete(nameDir);
        }
    }

    private static long SizeOf(string dir)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        long size = 0;
        foreach (var f in new DirectoryInfo(dir).EnumerateFiles("*", options)) size += f.Length;
        return size;
    }

    private void BuildBusybox(string rootfs)
    {
        foreach (var d in new[] { "bin", "sbin", "usr/bin", "usr/sbin", "etc", "tmp", "proc", "sys", "dev", "root", "home", "var" })
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        File.Copy(BusyboxBinary, Path.Combine(rootfs, "bin/busybox"));
        File.SetUnixFileMode(Path.Combine(rootfs, "bin/busybox"), (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.Combine(rootfs, "tmp"), (UnixFileMode)0b1_111_111_111);
        // `busybox --install -s` inside the rootfs makes the applet links point at /bin/busybox.
        var psi = new ProcessStartInfo("chroot") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { rootfs, "/bin/busybox", "--install", "-s" }) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            p.WaitForExit();
            if (p.ExitCode != 0) throw new IOException($"busybox --install failed: {p.StandardError.ReadToEnd()}");
        }
        File.WriteAllText(Path.Combine(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n");
        File.WriteAllText(Path.Combine(rootfs, "etc/group"), "root:x:0:\nnobody:x:65534:\n");
        File.WriteAllText(Path.Combine(rootfs, "etc/hostname"), "busybox\n");
    }
}
