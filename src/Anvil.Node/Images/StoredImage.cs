namespace Anvil.Node.Images;

/// <summary>
/// An image in the local store: its name and tag, <see cref="Digest"/> (<c>sha256:…</c> of its image config
/// document), root filesystem directory (read-only; containers overlay it), config, size and creation time.
/// </summary>
public sealed record StoredImage(string Name, string Tag, string Digest, string Rootfs, ImageConfig Config, long Size, DateTimeOffset Created)
{
    /// <summary><c>anvil.local/&lt;name&gt;:&lt;tag&gt;</c>.</summary>
    public string Reference => $"{ImageReference.LocalRegistry}/{Name}:{Tag}";

    /// <summary>The imageID of containerStatuses: <c>anvil.local/&lt;name&gt;@sha256:…</c>.</summary>
    public string ImageId => $"{ImageReference.LocalRegistry}/{Name}@{Digest}";

    /// <summary>The short ID <c>anvil images list</c> shows (12 hex digits, as docker images).</summary>
    public string ShortId => Digest.Replace("sha256:", "", StringComparison.Ordinal)[..12];
}
