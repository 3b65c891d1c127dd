using System.Reflection;
using System.Text.Json;

namespace Anvil.Machinery.Protobuf;

/// <summary>
/// The protobuf wire schema of the Kubernetes API (shared/k8s-api/proto-fields.json, embedded), with the
/// JSON mapping of every field resolved and an index from group/version/kind to the kind's message.
/// Immutable after construction; <see cref="Default"/> is loaded once on first use.
/// </summary>
public sealed class ProtoSchema
{
    private const string MetaPackage = "k8s.io.apimachinery.pkg.apis.meta.v1";

    // metav1.AddToGroupVersion registers these in every group/version, and the unversioned types are
    // accepted in any of them (e.g. drain sends DeleteOptions as apiVersion "v1").
    private static readonly HashSet<string> MetaKindsInEveryVersion =
    [
        "DeleteOptions", "ListOptions", "GetOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "WatchEvent",
        "Status", "APIVersions", "APIGroupList", "APIGroup", "APIResourceList",
    ];

    private static readonly Dictionary<string, string> GroupOfShortName = new()
    {
        ["core"] = "", ["apps"] = "apps", ["batch"] = "batch", ["policy"] = "policy", ["autoscaling"] = "autoscaling",
        ["extensions"] = "extensions", ["rbac"] = "rbac.authorization.k8s.io",
        ["flowcontrol"] = "flowcontrol.apiserver.k8s.io", ["apiserverinternal"] = "internal.apiserver.k8s.io",
    };

    private static readonly Lazy<ProtoSchema> LazyDefault = new(LoadEmbedded);

    private readonly Dictionary<string, ProtoMessage> _messages;
    private readonly Dictionary<(string Group, string Version, string Kind), ProtoMessage> _kinds = new();
    private readonly HashSet<(string Group, string Version)> _groupVersions = new();

    /// <summary>The Kubernetes v1.32 schema embedded in this assembly.</summary>
    public static ProtoSchema Default => LazyDefault.Value;

    internal IReadOnlyDictionary<string, ProtoMessage> Messages => _messages;

    /// <summary>Pointer-list entries that match no scalar field of the table (a typo or a removed field).</summary>
    internal IReadOnlyList<string> UnmatchedPointerEntries { get; }

    /// <summary>Builds a schema from a proto-fields.json document and the list of always-emitted scalar fields.</summary>
    /// <param name="protoFields">The proto-fields.json document.</param>
    /// <param name="requiredScalars">Fully-qualified "package.Message.field" names whose zero value Go always emits.</param>
    public static ProtoSchema Load(Stream protoFields, IEnumerable<string> requiredScalars)
    {
        using var doc = JsonDocument.Parse(protoFields);
        return new ProtoSchema(doc.RootElement, requiredScalars);
    }

    private static ProtoSchema LoadEmbedded()
    {
        var asm = typeof(ProtoSchema).Assembly;
        using var fields = Open(asm, "proto-fields.json");
        using var required = new StreamReader(Open(asm, "Anvil.Machinery.Protobuf.required-scalars.txt"));
        var lines = new List<string>();
        while (required.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length > 0 && !line.StartsWith('#')) lines.Add(line);
        }
        return Load(fields, lines);
    }

    private static Stream Open(Assembly asm, string name) =>
        asm.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"embedded resource {name} is missing");

    private ProtoSchema(JsonElement root, IEnumerable<string> requiredScalars)
    {
        _messages = new Dictionary<string, ProtoMessage>(StringComparer.Ordinal);
        var messages = root.GetProperty("messages");
        foreach (var m in messages.EnumerateObject())
        {
            var def = m.Value;
            var goKind = def.TryGetProperty("goKind", out var gk) ? gk.GetString() : "struct";
            var isKind = def.TryGetProperty("jsonOnlyGoFields", out var jof) && jof.ValueKind == JsonValueKind.Array &&
                         jof.EnumerateArray().Any(f => f.TryGetProperty("goName", out var n) && n.GetString() == "TypeMeta");
            var message = new ProtoMessage
            {
                FullName = m.Name,
                Package = def.GetProperty("package").GetString()!,
                Name = def.GetProperty("name").GetString()!,
                Special = SpecialOf(m.Name, def.GetProperty("name").GetString()!, goKind),
                IsKind = isKind,
            };
            foreach (var f in def.GetProperty("fields").EnumerateArray())
            {
                var field = ReadField(f);
                message.Fields[field.Number] = field;
            }
            _messages[m.Name] = message;
        }

        foreach (var message in _messages.Values)
        {
            foreach (var field in message.Fields.Values)
            {
                if (field.MessageName != null)
                    field.Message = _messages.TryGetValue(field.MessageName, out var t)
                        ? t
                        : throw new InvalidOperationException($"proto-fields.json: {message.FullName}.{field.Name} refers to unknown message {field.MessageName}");
            }
            if (GroupVersionOf(message.Package) is { } gv)
            {
                _groupVersions.Add(gv);
                if (message.IsKind) _kinds[(gv.Group, gv.Version, message.Name)] = message;
            }
        }

        foreach (var name in requiredScalars)
        {
            var dot = name.LastIndexOf('.');
            if (dot > 0 && _messages.TryGetValue(name[..dot], out var m) &&
                m.Fields.Values.FirstOrDefault(f => f.Name == name[(dot + 1)..]) is { Message: null } f)
                f.KeepZero = true;
        }

        var unmatched = new List<string>();
        foreach (var entry in GoPointerFields.Entries)
        {
            var dot = entry.LastIndexOf('.');
            var (messageName, fieldName) = (entry[..dot], entry[(dot + 1)..]);
            var qualified = messageName.Contains('.');
            var matched = false;
            foreach (var m in _messages.Values)
            {
                if (qualified ? m.FullName != messageName : m.Name != messageName) continue;
                foreach (var f in m.Fields.Values)
                {
                    if ((f.Name != fieldName && f.JsonName != fieldName) || f.Message != null || f.Repeated) continue;
                    f.KeepZero = true;
                    matched = true;
                }
            }
            if (!matched) unmatched.Add(entry);
        }
        UnmatchedPointerEntries = unmatched;
    }

    /// <summary>
    /// The message of a kind sent as (apiVersion, kind), e.g. ("apps/v1", "Deployment") →
    /// k8s.io.api.apps.v1.Deployment; null when no such kind is known.
    /// </summary>
    public string? MessageNameFor(string apiVersion, string kind) => FindKind(apiVersion, kind)?.FullName;

    internal ProtoMessage? FindKind(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/');
        var (group, version) = slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
        if (_kinds.TryGetValue((group, version, kind), out var message)) return message;
        if (MetaKindsInEveryVersion.Contains(kind) && _groupVersions.Contains((group, version)) &&
            _messages.TryGetValue(MetaPackage + "." + kind, out var meta))
            return meta;
        return null;
    }

    /// <summary>
    /// The API group and version of a protobuf package: k8s.io.api.&lt;short&gt;.&lt;version&gt; (core → "",
    /// rbac → rbac.authorization.k8s.io, networking → networking.k8s.io, ...), apimachinery meta →
    /// meta.k8s.io, apiextensions-apiserver → apiextensions.k8s.io, kube-aggregator → apiregistration.k8s.io.
    /// Null for packages that hold no kinds (runtime, resource, intstr).
    /// </summary>
    internal static (string Group, string Version)? GroupVersionOf(string package)
    {
        var parts = package.Split('.');
        if (parts.Length == 5 && parts[0] == "k8s" && parts[1] == "io" && parts[2] == "api")
            return (GroupOfShortName.TryGetValue(parts[3], out var g) ? g : parts[3] + ".k8s.io", parts[4]);
        // k8s.io.<module>.pkg.apis.<short>.<version>
        if (parts.Length == 7 && parts[0] == "k8s" && parts[1] == "io" && parts[3] == "pkg" && parts[4] == "apis")
            return (parts[5] + ".k8s.io", parts[6]);
        return null;
    }

    private static ProtoField ReadField(JsonElement f)
    {
        var name = f.GetProperty("name").GetString()!;
        var type = f.GetProperty("type").GetString()!;
        var isMap = f.TryGetProperty("map", out var map) && map.ValueKind == JsonValueKind.Object;
        if (isMap) type = map.GetProperty("value").GetString()!;
        var valueType = type switch
        {
            "string" => ProtoValueType.String,
            "bytes" => ProtoValueType.Bytes,
            "bool" => ProtoValueType.Bool,
            "int32" => ProtoValueType.Int32,
            "int64" => ProtoValueType.Int64,
            "double" => ProtoValueType.Double,
            _ => ProtoValueType.Message,
        };
        var inline = f.TryGetProperty("inline", out var il) && il.ValueKind == JsonValueKind.True;
        var jsonName = f.TryGetProperty("jsonName", out var jn) && jn.ValueKind == JsonValueKind.String ? jn.GetString()! : name;
        return new ProtoField
        {
            Number = f.GetProperty("number").GetInt32(),
            Name = name,
            GoName = f.TryGetProperty("goName", out var go) && go.ValueKind == JsonValueKind.String ? go.GetString()! : name,
            JsonName = jsonName,
            Inline = inline,
            Repeated = f.GetProperty("label").GetString() == "repeated",
            IsMap = isMap,
            Type = valueType,
            MessageName = valueType == ProtoValueType.Message ? type : null,
        };
    }

    private static SpecialJson SpecialOf(string fullName, string name, string? goKind)
    {
        switch (fullName)
        {
            case MetaPackage + ".Time": return SpecialJson.Time;
            case MetaPackage + ".MicroTime": return SpecialJson.MicroTime;
            case MetaPackage + ".Duration": return SpecialJson.Duration;
            case MetaPackage + ".FieldsV1": return SpecialJson.RawJson;
            case MetaPackage + ".GroupVersion": return SpecialJson.GroupVersion;
            case "k8s.io.apimachinery.pkg.runtime.RawExtension": return SpecialJson.RawExtension;
            case "k8s.io.apimachinery.pkg.api.resource.Quantity":
            case "k8s.io.apimachinery.pkg.api.resource.QuantityValue": return SpecialJson.Quantity;
            case "k8s.io.apimachinery.pkg.util.intstr.IntOrString": return SpecialJson.IntOrString;
        }
        if (fullName.StartsWith("k8s.io.apiextensions_apiserver.", StringComparison.Ordinal))
        {
            switch (name)
            {
                case "JSON": return SpecialJson.RawJson;
                case "JSONSchemaPropsOrArray": return SpecialJson.SchemaOrArray;
                case "JSONSchemaPropsOrBool": return SpecialJson.SchemaOrBool;
                case "JSONSchemaPropsOrStringArray": return SpecialJson.SchemaOrStringArray;
            }
        }
        return goKind == "slice" ? SpecialJson.Slice : SpecialJson.None;
    }
}
