using System.Text.Json.Nodes;
using Anvil.Machinery.ApiData;
using Anvil.Machinery.Serialization;

namespace Anvil.ApiServer.OpenApi;

/// <summary>
/// OpenAPI v3 documents for built-in group/versions whose upstream v3 file is not in the API data (only
/// swagger.json is): the group's definitions and everything they reference, as <c>components.schemas</c> with
/// v3 <c>$ref</c>s. kubectl needs them for client-side validation and <c>explain</c>.
/// </summary>
internal static class SwaggerDerivedDocuments
{
    /// <summary>Server path and definition name prefix of each such group/version.</summary>
    // kubectl finds the patch operation of a kind by its x-kubernetes-group-version-kind and sends fieldValidation
    // when that operation declares it, so the operations come along (parameters as v3, response bodies left out).
    public static readonly (string Path, string Prefix)[] Groups =
    [
        ("apis/discovery.k8s.io/v1", "io.k8s.api.discovery.v1."),
    ];

    public static JsonObject Build(JsonObject swagger, string path, string prefix)
    {
        var definitions = swagger["definitions"] as JsonObject ?? new JsonObject();
        var schemas = new JsonObject();
        var pending = new Queue<string>(definitions.Select(d => d.Key).Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
        var seen = pending.ToHashSet();
        var picked = new List<string>();
        while (pending.Count > 0)
        {
            var name = pending.Dequeue();
            picked.Add(name);
            foreach (var r in Refs(definitions[name]))
                if (seen.Add(r)) pending.Enqueue(r);
        }
        foreach (var name in picked.Order(StringComparer.Ordinal))
            if (definitions[name] is JsonObject def) schemas[name] = Rewrite(def.DeepClone());
        return new JsonObject
        {
            ["components"] = new JsonObject { ["schemas"] = schemas },
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "unversioned" },
            ["openapi"] = "3.0.0",
            ["paths"] = Paths(swagger, path),
        };
    }

    private static JsonObject Paths(JsonObject swagger, string serverPath)
    {
        var paths = new JsonObject();
        foreach (var (p, item) in swagger["paths"] as JsonObject ?? new JsonObject())
        {
            if (!(p + "/").StartsWith("/" + serverPath + "/", StringComparison.Ordinal) || item is not JsonObject ops) continue;
            var converted = new JsonObject();
            foreach (var (k, v) in ops)
            {
                if (k == "parameters") converted[k] = Parameters(swagger, v);
                else if (v is JsonObject op)
                {
                    var o = new JsonObject();
                    foreach (var (ok, ov) in op)
                    {
                        if (ok == "parameters") o[ok] = Parameters(swagger, ov);
                        else if (ok == "responses")
                            o[ok] = new JsonObject((ov as JsonObject ?? new JsonObject()).Select(r => KeyValuePair.Create(r.Key,
                                (JsonNode?)new JsonObject { ["description"] = r.Value?["description"]?.DeepClone() })));
                        else if (ok is not ("consumes" or "produces" or "schemes")) o[ok] = ov?.DeepClone();
                    }
                    converted[k] = o;
                }
            }
            paths[p] = converted;
        }
        return paths;
    }

    // v2 parameters to v3: the type moves into "schema"; body parameters are dropped.
    private static JsonArray Parameters(JsonObject swagger, JsonNode? list)
    {
        var result = new JsonArray();
        foreach (var entry in (list as JsonArray ?? []).OfType<JsonObject>())
        {
            var prm = (string?)entry["$ref"] is { } r && r.StartsWith("#/parameters/", StringComparison.Ordinal)
                ? swagger["parameters"]?[r["#/parameters/".Length..]] as JsonObject ?? entry : entry;
            if ((string?)prm["in"] == "body") continue;
            var v3 = new JsonObject();
            var schema = new JsonObject();
            foreach (var (k, v) in prm)
            {
                if (k is "type" or "uniqueItems" or "format") schema[k] = v?.DeepClone();
                else v3[k] = v?.DeepClone();
            }
            if (schema.Count > 0) v3["schema"] = schema;
            result.Add(v3);
        }
        return result;
    }

    public static IEnumerable<(string Path, byte[] Document)> All()
    {
        using var stream = ApiDataFiles.Open("swagger.json");
        var swagger = KubeJson.ParseObject(ReadAll(stream));
        foreach (var (path, prefix) in Groups) yield return (path, KubeJson.ToBytes(Build(swagger, path, prefix)));
    }

    private static byte[] ReadAll(Stream s)
    {
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    private static IEnumerable<string> Refs(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    if (k == "$ref" && (string?)v is { } r && r.StartsWith("#/definitions/", StringComparison.Ordinal)) yield return r["#/definitions/".Length..];
                    else foreach (var x in Refs(v)) yield return x;
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                    foreach (var x in Refs(item)) yield return x;
                break;
        }
    }

    private static JsonNode? Rewrite(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var k in o.Select(p => p.Key).ToList())
                {
                    if (k == "$ref" && (string?)o[k] is { } r) o[k] = r.Replace("#/definitions/", "#/components/schemas/", StringComparison.Ordinal);
                    else Rewrite(o[k]);
                }
                break;
            case JsonArray a:
                foreach (var item in a) Rewrite(item);
                break;
        }
        return node;
    }
}
