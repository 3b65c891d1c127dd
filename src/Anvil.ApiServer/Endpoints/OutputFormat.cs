namespace Anvil.ApiServer.Endpoints;

/// <summary>What the client asked for in Accept.</summary>
public enum OutputShape { Object, Table, PartialObjectMetadata }

public sealed record OutputFormat(OutputShape Shape, bool Yaml, string TableVersion = "v1")
{
    public static readonly OutputFormat Json = new(OutputShape.Object, false);

    /// <summary>
    /// Parses an Accept header the way kube-apiserver negotiates: the first acceptable entry wins;
    /// <c>as=Table;g=meta.k8s.io;v=v1</c> asks for a Table, <c>application/yaml</c> for YAML. Protobuf is
    /// not served, so such entries are skipped (clients always offer JSON too). Returns null if nothing is acceptable.
    /// </summary>
    public static OutputFormat? Parse(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept)) return Json;
        foreach (var raw in accept.Split(','))
        {
            var parts = raw.Split(';', StringSplitOptions.TrimEntries);
            var media = parts[0].ToLowerInvariant();
            string? asParam = null, g = null, v = null;
            foreach (var p in parts.Skip(1))
            {
                var eq = p.IndexOf('=');
                if (eq < 0) continue;
                var key = p[..eq].Trim();
                var value = p[(eq + 1)..].Trim();
                if (key == "as") asParam = value;
                else if (key == "g") g = value;
                else if (key == "v") v = value;
            }
            var yaml = media is "application/yaml";
            if (media is not ("application/json" or "application/yaml" or "*/*" or "application/*")) continue;
            if (asParam == null) return new OutputFormat(OutputShape.Object, yaml);
            if (g != "meta.k8s.io" || v is not ("v1" or "v1beta1")) continue;
            if (asParam == "Table") return new OutputFormat(OutputShape.Table, yaml, v);
            if (asParam is "PartialObjectMetadata" or "PartialObjectMetadataList") return new OutputFormat(OutputShape.PartialObjectMetadata, yaml, v);
        }
        return null;
    }
}
