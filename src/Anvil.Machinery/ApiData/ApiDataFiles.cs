using System.Reflection;

namespace Anvil.Machinery.ApiData;

/// <summary>The Kubernetes API data files embedded in this assembly (see api-data/README.md).</summary>
public static class ApiDataFiles
{
    private static readonly Assembly Self = typeof(ApiDataFiles).Assembly;

    /// <summary>Opens an embedded file: "swagger.json", "proto-fields.json" or "openapi-v3/&lt;name&gt;".</summary>
    public static Stream Open(string name) =>
        Self.GetManifestResourceStream(name) ?? throw new FileNotFoundException($"embedded API data not found: {name}");

    /// <summary>The OpenAPI v3 documents as (server path, resource name), e.g. ("apis/apps/v1", "openapi-v3/apis__apps__v1_openapi.json").</summary>
    public static IEnumerable<(string Path, string Resource)> OpenApiV3Documents() =>
        Self.GetManifestResourceNames()
            .Where(n => n.StartsWith("openapi-v3/", StringComparison.Ordinal))
            .Select(n => (n["openapi-v3/".Length..^"_openapi.json".Length].Replace("__", "/"), n))
            .OrderBy(p => p.Item1, StringComparer.Ordinal);
}
