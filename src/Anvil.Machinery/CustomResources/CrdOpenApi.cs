using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.CustomResources;

/// <summary>
/// The OpenAPI v3 document kube-apiserver publishes for a CRD group/version at
/// <c>/openapi/v3/apis/&lt;group&gt;/&lt;version&gt;</c> (apiextensions' openapi builder): the kind's schema
/// (<c>com.example.stable.v1.CronTab</c>) with apiVersion, kind and metadata, its List schema, the meta/v1
/// definitions they refer to, and the resource's paths. kubectl explain reads the schemas; kubectl apply looks for
/// the patch operation with the kind's <c>x-kubernetes-group-version-kind</c> and an inline <c>fieldValidation</c>
/// parameter to choose server-side validation.
/// </summary>
public static class CrdOpenApi
{
    private const string SchemaPrefix = "#/components/schemas/";
    private const string ObjectMetaName = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
    private const string ListMetaName = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
    private const string StatusName = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
    private const string DeleteOptionsName = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
    private const string PatchName = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";

    private const string ApiVersionDescription = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
    private const string KindDescription = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
    private const string EmbeddedApiVersionDescription = "apiVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
    private const string EmbeddedKindDescription = "kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
    private const string MetadataDescription = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
    private const string ListMetadataDescription = "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

    private static readonly string[] ResponseTypes = ["application/json", "application/yaml"];
    private static readonly string[] PatchTypes = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];
    private static readonly string[] ListOptions = ["allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch"];
    private static readonly string[] DeleteCollectionOptions = ["continue", "dryRun", "fieldSelector", "gracePeriodSeconds", "ignoreStoreReadErrorWithClusterBreakingPotential", "labelSelector", "limit", "orphanDependents", "propagationPolicy", "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds"];
    private static readonly string[] DeleteOptions = ["dryRun", "gracePeriodSeconds", "ignoreStoreReadErrorWithClusterBreakingPotential", "orphanDependents", "propagationPolicy"];
    private static readonly string[] WriteOptions = ["dryRun", "fieldManager", "fieldValidation"];
    private static readonly string[] PatchOptions = ["dryRun", "fieldManager", "fieldValidation", "force"];

    /// <summary>The component name of a kind: the group reversed, then version and kind (<c>com.example.stable.v1.CronTab</c>).</summary>
    public static string DefinitionName(string group, string version, string kind)
    {
        var reversed = group.Contains('.') ? string.Join(".", group.Split('.').Reverse()) : group;
        return reversed.Length == 0 ? version + "." + kind : reversed + "." + version + "." + kind;
    }

    /// <summary>Builds the document for <paramref name="version"/> of <paramref name="crd"/> (an apiextensions.k8s.io/v1 CRD).</summary>
    /// <param name="coreV1Document">The built-in <c>api/v1</c> OpenAPI v3 document; ObjectMeta, ListMeta, Status and the
    /// other meta/v1 definitions and the query parameters' descriptions are copied from it.</param>
    public static JsonObject BuildDocument(JsonObject crd, string version, JsonObject coreV1Document)
    {
        var spec = crd["spec"] as JsonObject ?? new JsonObject();
        var group = JsonRead.Str(spec["group"]) ?? "";
        var names = spec["names"] as JsonObject ?? new JsonObject();
        var kind = JsonRead.Str(names["kind"]) ?? "";
        var listKind = JsonRead.Str(names["listKind"]) ?? kind + "List";
        var plural = JsonRead.Str(names["plural"]) ?? kind.ToLowerInvariant() + "s";
        var namespaced = (JsonRead.Str(spec["scope"]) ?? "Namespaced") == "Namespaced";
        var versionObj = (spec["versions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(v => JsonRead.Str(v["name"]) == version);
        var hasStatus = versionObj?["subresources"]?["status"] is JsonObject;

        var kindName = DefinitionName(group, version, kind);
        var listName = DefinitionName(group, version, listKind);
        var schemas = new JsonObject
        {
            [kindName] = KindSchema(CustomResourceSchema.CrdVersionSchema(crd, version), group, version, kind),
            [listName] = ListSchema(group, version, kind, listKind, plural, kindName),
        };
        CopyDefinitions(coreV1Document, schemas, [ObjectMetaName, ListMetaName, StatusName, DeleteOptionsName, PatchName]);

        var ops = new Operations(group, version, kind, namespaced, coreV1Document);
        var paths = new JsonObject();
        var root = $"/apis/{group}/{version}/{plural}";
        if (namespaced)
        {
            paths[root] = ops.PathItem(collection: true, allNamespaces: true, subresource: "",
                ("get", ops.Op("list", "list", "ForAllNamespaces", "", listName, null, null)));
            root = $"/apis/{group}/{version}/namespaces/{{namespace}}/{plural}";
        }
        paths[root] = ops.PathItem(collection: true, allNamespaces: false, subresource: "",
            ("delete", ops.Op("deletecollection", "deletecollection", "", "", StatusName, DeleteCollectionOptions, DeleteOptionsName)),
            ("get", ops.Op("list", "list", "", "", listName, ListOptions, null)),
            ("post", ops.Op("post", "create", "", "", kindName, WriteOptions, kindName)));
        paths[root + "/{name}"] = ops.PathItem(collection: false, allNamespaces: false, subresource: "",
            ("delete", ops.Op("delete", "delete", "", "", StatusName, DeleteOptions, DeleteOptionsName)),
            ("get", ops.Op("get", "read", "", "", kindName, null, null)),
            ("patch", ops.Op("patch", "patch", "", "", kindName, PatchOptions, PatchName)),
            ("put", ops.Op("put", "replace", "", "", kindName, WriteOptions, kindName)));
        if (hasStatus)
        {
            paths[root + "/{name}/status"] = ops.PathItem(collection: false, allNamespaces: false, subresource: "status",
                ("get", ops.Op("get", "read", "", "status", kindName, null, null)),
                ("patch", ops.Op("patch", "patch", "", "status", kindName, PatchOptions, PatchName)),
                ("put", ops.Op("put", "replace", "", "status", kindName, WriteOptions, kindName)));
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes CRD Swagger", ["version"] = "v0.1.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static JsonObject Gvk(string group, string version, string kind) =>
        new() { ["group"] = group, ["kind"] = kind, ["version"] = version };

    private static JsonObject Ref(string name) => new() { ["$ref"] = SchemaPrefix + name };

    private static JsonObject MetaRef(string name, string description) =>
        new() { ["allOf"] = new JsonArray(Ref(name)), ["description"] = description };

    /// <summary>The kind's schema: the CRD schema (or a bare object) with TypeMeta and ObjectMeta, embedded resources completed.</summary>
    private static JsonObject KindSchema(JsonObject? crdSchema, string group, string version, string kind)
    {
        JsonObject schema;
        if (crdSchema == null) schema = new JsonObject { ["type"] = "object" };
        else
        {
            schema = (JsonObject)crdSchema.DeepClone();
            var props = schema["properties"] as JsonObject ?? new JsonObject();
            schema["properties"] = props;
            props["apiVersion"] = new JsonObject { ["description"] = ApiVersionDescription, ["type"] = "string" };
            props["kind"] = new JsonObject { ["description"] = KindDescription, ["type"] = "string" };
            props["metadata"] = MetaRef(ObjectMetaName, MetadataDescription);
            AddEmbeddedProperties(schema, isRoot: true);
        }
        schema["x-kubernetes-group-version-kind"] = new JsonArray(Gvk(group, version, kind));
        return schema;
    }

    private static void AddEmbeddedProperties(JsonObject s, bool isRoot)
    {
        if (s["properties"] is JsonObject props)
            foreach (var (name, value) in props.ToList())
                if (value is JsonObject child && !(isRoot && name == "metadata")) AddEmbeddedProperties(child, isRoot: false);
        if (s["items"] is JsonObject items) AddEmbeddedProperties(items, isRoot: false);
        if (s["additionalProperties"] is JsonObject ap) AddEmbeddedProperties(ap, isRoot: false);
        if (s["x-kubernetes-embedded-resource"] is not JsonValue e || !e.TryGetValue<bool>(out var embedded) || !embedded) return;

        var p = s["properties"] as JsonObject ?? new JsonObject();
        s["properties"] = p;
        p["apiVersion"] = new JsonObject { ["description"] = EmbeddedApiVersionDescription, ["type"] = "string" };
        p["kind"] = new JsonObject { ["description"] = EmbeddedKindDescription, ["type"] = "string" };
        p["metadata"] = MetaRef(ObjectMetaName, MetadataDescription);
        var required = s["required"] as JsonArray ?? new JsonArray();
        s["required"] = required;
        var have = required.Select(r => JsonRead.Str(r)).ToHashSet();
        if (!have.Contains("kind")) required.Add("kind");
        if (!have.Contains("apiVersion")) required.Add("apiVersion");
    }

    private static JsonObject ListSchema(string group, string version, string kind, string listKind, string plural, string kindName) => new()
    {
        ["description"] = $"{listKind} is a list of {kind}",
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["description"] = ApiVersionDescription, ["type"] = "string" },
            ["items"] = new JsonObject
            {
                ["description"] = $"List of {plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
                ["items"] = Ref(kindName),
                ["type"] = "array",
            },
            ["kind"] = new JsonObject { ["description"] = KindDescription, ["type"] = "string" },
            ["metadata"] = MetaRef(ListMetaName, ListMetadataDescription),
        },
        ["required"] = new JsonArray("items"),
        ["x-kubernetes-group-version-kind"] = new JsonArray(Gvk(group, version, listKind)),
    };

    /// <summary>Copies the named definitions and everything they refer to from <paramref name="source"/>.</summary>
    private static void CopyDefinitions(JsonObject source, JsonObject target, IEnumerable<string> roots)
    {
        if (source["components"]?["schemas"] is not JsonObject available) return;
        var queue = new Queue<string>(roots);
        while (queue.Count > 0)
        {
            var name = queue.Dequeue();
            if (target.ContainsKey(name) || available[name] is not JsonObject def) continue;
            var copy = (JsonObject)def.DeepClone();
            target[name] = copy;
            foreach (var reference in Refs(copy)) queue.Enqueue(reference);
        }
    }

    private static IEnumerable<string> Refs(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (key == "$ref" && JsonRead.Str(value) is { } r && r.StartsWith(SchemaPrefix, StringComparison.Ordinal))
                        yield return r[SchemaPrefix.Length..];
                    else
                        foreach (var inner in Refs(value)) yield return inner;
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                    foreach (var inner in Refs(item)) yield return inner;
                break;
        }
    }

    /// <summary>Builds operations the way kube-openapi names and shapes them for a CRD's routes.</summary>
    private sealed class Operations(string group, string version, string kind, bool namespaced, JsonObject coreV1)
    {
        private readonly Dictionary<string, JsonObject> _knownParameters = CollectParameters(coreV1);

        private string GroupId => ToOperationId(group, capitalizeFirst: true) + ToOperationId(version, capitalizeFirst: true);
        private string Tag => ToOperationId(group, capitalizeFirst: false) + "_" + version;

        /// <summary>ToValidOperationID: parts split at ".", "-" and "/" joined in camel case.</summary>
        private static string ToOperationId(string s, bool capitalizeFirst)
        {
            var parts = s.Split(['.', '-', '/'], StringSplitOptions.RemoveEmptyEntries);
            var result = string.Concat(parts.Select((p, i) => i == 0 && !capitalizeFirst ? p : char.ToUpperInvariant(p[0]) + p[1..]));
            return result;
        }

        /// <summary>The query parameters of the built-in document (all resources share them), by name.</summary>
        private static Dictionary<string, JsonObject> CollectParameters(JsonObject doc)
        {
            var result = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
            if (doc["paths"] is not JsonObject paths) return result;
            foreach (var (_, item) in paths)
            {
                if (item is not JsonObject pathItem) continue;
                foreach (var (key, value) in pathItem)
                {
                    var parameters = key == "parameters" ? value as JsonArray : value?["parameters"] as JsonArray;
                    foreach (var p in parameters?.OfType<JsonObject>() ?? [])
                    {
                        if (JsonRead.Str(p["in"]) != "query" || JsonRead.Str(p["name"]) is not { } n) continue;
                        // Descriptions differ per method (fieldManager on patch mentions apply): keep both.
                        result.TryAdd(n, p);
                        if (key != "parameters") result.TryAdd(key + ":" + n, p);
                    }
                }
            }
            return result;
        }

        private JsonObject QueryParameter(string name, string method = "")
        {
            if (_knownParameters.TryGetValue(method + ":" + name, out var forMethod)) return (JsonObject)forMethod.DeepClone();
            if (_knownParameters.TryGetValue(name, out var known)) return (JsonObject)known.DeepClone();
            var type = name is "allowWatchBookmarks" or "watch" or "sendInitialEvents" or "orphanDependents" or "force" or "ignoreStoreReadErrorWithClusterBreakingPotential"
                ? "boolean"
                : name is "limit" or "timeoutSeconds" or "gracePeriodSeconds" ? "integer" : "string";
            return new JsonObject { ["in"] = "query", ["name"] = name, ["schema"] = new JsonObject { ["type"] = type, ["uniqueItems"] = true } };
        }

        private static JsonObject PathParameter(string name, string description) => new()
        {
            ["description"] = description,
            ["in"] = "path",
            ["name"] = name,
            ["required"] = true,
            ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
        };

        private static JsonObject Content(IEnumerable<string> types, string schemaName)
        {
            var content = new JsonObject();
            foreach (var t in types) content[t] = new JsonObject { ["schema"] = Ref(schemaName) };
            return content;
        }

        private static JsonObject Response(string description, string schemaName) =>
            new() { ["content"] = Content(ResponseTypes, schemaName), ["description"] = description };

        private string Description(string operationVerb, string subresource)
        {
            var sub = subresource.Length > 0 ? " " + subresource + " of" : "";
            var article = operationVerb switch
            {
                "list" => " objects of kind ",
                "read" or "replace" or "patch" => " the specified ",
                "create" or "delete" => Article(kind),
                _ => "",
            };
            return operationVerb switch
            {
                "patch" => "partially update" + sub + article + kind,
                "deletecollection" => "delete collection of" + (sub.Length > 0 ? sub + " a" : "") + " " + kind,
                _ => operationVerb + sub + article + kind,
            };
        }

        private static string Article(string noun)
        {
            if (!noun.EndsWith("ss", StringComparison.Ordinal) && noun.EndsWith('s')) return " ";
            return noun.Length > 0 && "aeiou".Contains(char.ToLowerInvariant(noun[0])) ? " an " : " a ";
        }

        /// <summary>One operation. <paramref name="action"/> is x-kubernetes-action; <paramref name="operationVerb"/> names it.</summary>
        public JsonObject Op(string action, string operationVerb, string suffix, string subresource, string responseSchema, string[]? options, string? bodySchema)
        {
            var verb = operationVerb switch { "deletecollection" => "delete", _ => operationVerb };
            var rest = (operationVerb == "deletecollection" ? "Collection" : "") + (namespaced && suffix.Length == 0 ? "Namespaced" : "")
                       + kind + (subresource.Length > 0 ? char.ToUpperInvariant(subresource[0]) + subresource[1..] : "") + suffix;
            var op = new JsonObject
            {
                ["description"] = Description(operationVerb, subresource),
                ["operationId"] = verb + GroupId + rest,
            };
            var method = action switch { "post" => "post", "put" => "put", "patch" => "patch", "delete" or "deletecollection" => "delete", _ => "get" };
            if (options != null) op["parameters"] = new JsonArray(options.Select(o => (JsonNode)QueryParameter(o, method)).ToArray());
            if (bodySchema != null)
            {
                var types = action == "patch" ? PatchTypes : action is "delete" or "deletecollection" ? ["*/*"] : ResponseTypes;
                op["requestBody"] = new JsonObject { ["content"] = Content(types, bodySchema) };
                if (action is "post" or "put" or "patch") op["requestBody"]!["required"] = true;
            }
            var responses = new JsonObject { ["200"] = Response("OK", responseSchema) };
            switch (action)
            {
                case "post":
                    responses["201"] = Response("Created", responseSchema);
                    responses["202"] = Response("Accepted", responseSchema);
                    break;
                case "put":
                    responses["201"] = Response("Created", responseSchema);
                    break;
                case "delete":
                    responses["202"] = Response("Accepted", responseSchema);
                    break;
            }
            responses["401"] = new JsonObject { ["description"] = "Unauthorized" };
            op["responses"] = responses;
            op["tags"] = new JsonArray(Tag);
            op["x-kubernetes-action"] = action;
            op["x-kubernetes-group-version-kind"] = Gvk(group, version, kind);
            return op;
        }

        /// <summary>A path item: operations plus the parameters they all share (name, namespace, pretty).</summary>
        public JsonObject PathItem(bool collection, bool allNamespaces, string subresource, params (string Method, JsonObject Op)[] operations)
        {
            var item = new JsonObject();
            foreach (var (method, op) in operations) item[method] = op;
            var parameters = new JsonArray();
            if (!collection) parameters.Add(PathParameter("name", "name of the " + kind));
            if (namespaced && !allNamespaces) parameters.Add(PathParameter("namespace", "object name and auth scope, such as for teams and projects"));
            if (allNamespaces)
            {
                // A lone operation's parameters all move to the path, as for built-in list-for-all-namespaces paths.
                foreach (var o in ListOptions.Append("pretty").Order(StringComparer.Ordinal)) parameters.Add(QueryParameter(o));
            }
            else parameters.Add(QueryParameter("pretty"));
            item["parameters"] = parameters;
            return item;
        }
    }
}
