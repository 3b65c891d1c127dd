using Anvil.Node.Images;

namespace Anvil.Node.Tests;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("busybox", "docker.io", "library/busybox", "latest", null, "anvil.local/busybox:latest")]
    [InlineData("busybox:1.36", "docker.io", "library/busybox", "1.36", null, "anvil.local/busybox:1.36")]
    [InlineData("docker.io/library/busybox:1.36", "docker.io", "library/busybox", "1.36", null, "anvil.local/busybox:1.36")]
    [InlineData("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", null, "anvil.local/busybox:latest")]
    [InlineData("anvil.local/busybox", "anvil.local", "busybox", "latest", null, "anvil.local/busybox:latest")]
    [InlineData("anvil.local/toolforge/python:3.11", "anvil.local", "toolforge/python", "3.11", null, "anvil.local/toolforge/python:3.11")]
    [InlineData("toolforge/python", "docker.io", "toolforge/python", "latest", null, "anvil.local/toolforge/python:latest")]
    [InlineData("busybox@sha256:0123456789abcdef0123456789abcdef", "docker.io", "library/busybox", "latest", "sha256:0123456789abcdef0123456789abcdef", "anvil.local/busybox:latest")]
    [InlineData("registry.example/none:1", "registry.example", "none", "1", null, null)]
    [InlineData("localhost:5000/app", "localhost:5000", "app", "latest", null, null)]
    public void Parses(string text, string registry, string repository, string tag, string? digest, string? canonical)
    {
        var r = ImageReference.Parse(text);
        Assert.Equal((registry, repository, tag, digest, canonical), (r.Registry, r.Repository, r.Tag, r.Digest, r.Canonical));
    }

    [Theory]
    [InlineData("", "invalid reference format: \"\"")]
    [InlineData("Busybox", "invalid reference format: repository name \"Busybox\" must be lowercase letters, digits and separators")]
    [InlineData("busybox:", "invalid reference format: invalid tag \"\"")]
    [InlineData("busybox:-x", "invalid reference format: invalid tag \"-x\"")]
    [InlineData("busybox@sha256:xyz", "invalid reference format: invalid digest \"sha256:xyz\"")]
    [InlineData("a//b", "invalid reference format: repository name \"a//b\" must be lowercase letters, digits and separators")]
    public void Rejects(string text, string message)
    {
        Assert.False(ImageReference.TryParse(text, out _, out var error));
        Assert.Equal(message, error);
    }

    [Theory]
    [InlineData("busybox", "busybox")]
    [InlineData("docker.io/busybox:1", "busybox")]
    [InlineData("anvil.local/web:2", "web")]
    [InlineData("registry.example/busybox", null)]
    [InlineData("NOT VALID", null)]
    public void LocalName(string reference, string? name) => Assert.Equal(name, ImageStore.LocalName(reference));
}
