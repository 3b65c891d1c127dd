using System.Diagnostics;

namespace Anvil.Node.Images;

/// <summary>
/// The local image store: root filesystems under <c>&lt;data-dir&gt;/images/&lt;name&gt;/rootfs</c>. No registry is
/// reachable, so nothing is pulled; the one built-in image is <c>busybox</c>, made on demand from Debian's
/// busybox-static. Every busybox reference (<c>busybox</c>, <c>busybox:&lt;tag&gt;</c>,
/// <c>docker.io/library/busybox:&lt;tag&gt;</c>, with or without a digest) maps to it for now, whatever the tag.
/// </summary>
public sealed class ImageStore
{
    private readonly string _root;
    private readonly SemaphoreSlim _lock = new(1, 1);

    public ImageStore(string dataDir) => _root = Path.Combine(dataDir, "images");

    /// <summary>Host path of the busybox-static binary the built-in image is made from.</summary>
    public string BusyboxBinary { get; init; } = "/bin/busybox";

    /// <summary>The local image name a reference maps to, or null when the store cannot provide it.</summary>
    public static string? LocalName(string reference)
    {
        var r = reference.Trim();
        var at = r.IndexOf('@');
        if (at >= 0) r = r[..at];
        foreach (var prefix in new[] { "docker.io/library/", "index.docker.io/library/", "library/", "docker.io/" })
            if (r.StartsWith(prefix, StringComparison.Ordinal)) { r = r[prefix.Length..]; break; }
        var colon = r.LastIndexOf(':');
        if (colon > 0 && !r[colon..].Contains('/')) r = r[..colon];
        return r == "busybox" ? "busybox" : null;
    }

    /// <summary>The image ID reported in containerStatuses[].imageID.</summary>
    public static string ImageId(string localName) => $"anvil.local/{localName}@sha256:{localName}";

    /// <summary>
    /// The rootfs of the image a reference names, made if needed; null when the image is not present and cannot
    /// be pulled (the kubelet's ErrImageNeverPull).
    /// </summary>
    public async Task<string?> EnsureAsync(string reference, CancellationToken ct)
    {
        var name = LocalName(reference);
        if (name == null) return null;
        var dir = Path.Combine(_root, name);
        var rootfs = Path.Combine(dir, "rootfs");
        if (File.Exists(Path.Combine(dir, "ready"))) return rootfs;
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (File.Exists(Path.Combine(dir, "ready"))) return rootfs;
            if (!File.Exists(BusyboxBinary)) return null;
            var tmp = Path.Combine(_root, $".{name}-{Guid.NewGuid():N}");
            var tmpRoot = Path.Combine(tmp, "rootfs");
            BuildBusybox(tmpRoot);
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            Directory.Move(tmp, dir);
            await File.WriteAllTextAsync(Path.Combine(dir, "ready"), reference + "\n", ct).ConfigureAwait(false);
            return rootfs;
        }
        finally
        {
            _lock.Release();
        }
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
