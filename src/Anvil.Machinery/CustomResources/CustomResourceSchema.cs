using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.CustomResources;

/// <summary>
/// What kube-apiserver's apiextensions-apiserver does to custom resource objects with one CRD version's
/// <c>schema.openAPIV3Schema</c>: validation with Kubernetes' messages, structural pruning (with the pruned
/// paths for fieldValidation), structural defaulting, and the <see cref="SchemaNode"/> that patching, apply and
/// field validation use. Built once per CRD version; immutable and thread-safe.
/// The root metadata (name, namespace, labels, ...) is the caller's business, as is CEL (x-kubernetes-validations).
/// </summary>
public sealed class CustomResourceSchema
{
    private readonly JsonObject _raw;
    private readonly StructuralSchema _schema;
    private readonly SchemaNode _objectMeta;
    private readonly Lazy<SchemaNode> _node;

    /// <param name="openApiV3Schema">The version's <c>schema.openAPIV3Schema</c> (copied).</param>
    /// <param name="objectMeta">ObjectMeta's schema (<c>io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta</c>), for
    /// <c>metadata</c> in <see cref="ToSchemaNode"/> and embedded resources' metadata.</param>
    public CustomResourceSchema(JsonObject openApiV3Schema, string group, string version, string kind, bool namespaced, SchemaNode objectMeta)
    {
        _raw = (JsonObject)openApiV3Schema.DeepClone();
        _schema = StructuralSchema.Parse(_raw);
        _objectMeta = objectMeta;
        Kind = new GroupVersionKind(group, version, kind);
        Namespaced = namespaced;
        _node = new Lazy<SchemaNode>(BuildSchemaNode);
    }

    /// <summary>The schema of <paramref name="version"/> of a CustomResourceDefinition object (apiextensions.k8s.io/v1).</summary>
    public static CustomResourceSchema FromCrd(JsonObject crd, string version, SchemaNode objectMeta)
    {
        var spec = crd["spec"] as JsonObject ?? throw new ArgumentException("CRD without spec", nameof(crd));
        var group = JsonRead.Str(spec["group"]) ?? "";
        var kind = JsonRead.Str(spec["names"]?["kind"]) ?? "";
        var namespaced = (JsonRead.Str(spec["scope"]) ?? "Namespaced") == "Namespaced";
        var schema = CrdVersionSchema(crd, version) ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        return new CustomResourceSchema(schema, group, version, kind, namespaced, objectMeta);
    }

    /// <summary>The <c>openAPIV3Schema</c> of a CRD version, or null when it has none.</summary>
    public static JsonObject? CrdVersionSchema(JsonObject crd, string version)
    {
        if (crd["spec"]?["versions"] is not JsonArray versions) return null;
        foreach (var v in versions.OfType<JsonObject>())
            if (JsonRead.Str(v["name"]) == version)
                return v["schema"]?["openAPIV3Schema"] as JsonObject;
        return null;
    }

    public GroupVersionKind Kind { get; }
    public bool Namespaced { get; }

    /// <summary>
    /// The schema errors of a custom resource, in the order the CR strategy reports them: OpenAPI validation
    /// (<c>spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10</c>),
    /// then embedded resources' apiVersion/kind/metadata, then list-type set/map uniqueness.
    /// Validate the pruned and defaulted object, as kube-apiserver does.
    /// </summary>
    public IReadOnlyList<FieldError> Validate(JsonObject obj)
    {
        var errs = new List<FieldError>();
        OpenApiSchemaValidator.Validate(obj, _schema, "", errs);
        EmbeddedResourceValidation.Validate("", obj, _schema, errs);
        ListTypeValidation.Validate("", _schema, obj, errs);
        return errs;
    }

    /// <summary>
    /// The schema errors of an update, as the CR strategy's ValidateUpdate reports them: OpenAPI validation with
    /// ratcheting (values unchanged from <paramref name="old"/> are not validated, so a tightened schema does not
    /// block updates of other fields), embedded resources as on create, and list-type uniqueness only if the old
    /// object met it.
    /// </summary>
    public IReadOnlyList<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        var errs = new List<FieldError>();
        OpenApiSchemaValidator.Validate(obj, _schema, "", errs, new OldValue(old));
        EmbeddedResourceValidation.Validate("", obj, _schema, errs);
        var oldListErrors = new List<FieldError>();
        ListTypeValidation.Validate("", _schema, old, oldListErrors);
        if (oldListErrors.Count == 0) ListTypeValidation.Validate("", _schema, obj, errs);
        return errs;
    }

    /// <summary>The CR validator's TypeMeta check: <c>kind: Invalid value: "X": must be CronTab</c>, <c>apiVersion: ... must be g/v</c>.</summary>
    public IReadOnlyList<FieldError> ValidateTypeMeta(JsonObject obj)
    {
        var errs = new List<FieldError>();
        var kind = JsonRead.Str(obj["kind"]) ?? "";
        var apiVersion = JsonRead.Str(obj["apiVersion"]) ?? "";
        if (kind != Kind.Kind) errs.Add(FieldError.Invalid("kind", kind, "must be " + Kind.Kind));
        var expected = Kind.Group + "/" + Kind.Version;
        if (apiVersion != expected) errs.Add(FieldError.Invalid("apiVersion", apiVersion, "must be " + expected));
        return errs;
    }

    /// <summary>
    /// Drops, in place, the fields the schema does not specify. Returns their paths in the order the CR handler
    /// reports them for <c>fieldValidation</c> (<c>unknown field "spec.foo"</c>): sorted, then unknown fields of
    /// embedded resources' metadata. The root's apiVersion, kind and metadata are left alone.
    /// </summary>
    public IReadOnlyList<string> Prune(JsonObject obj) => new StructuralPruning(_objectMeta).PruneRoot(obj, _schema);

    /// <summary>
    /// Applies the schema's defaults in place: non-nullable nulls without a default are dropped, then absent
    /// properties of present objects get their defaults (never inside absent parents).
    /// </summary>
    public void Default(JsonObject obj)
    {
        StructuralDefaulting.PruneNonNullableNullsWithoutDefaults(obj, _schema);
        StructuralDefaulting.Default(obj, _schema);
    }

    /// <summary>
    /// The schema as a <see cref="SchemaNode"/> for patching, apply and field validation: the CRD schema with
    /// apiVersion, kind (strings) and metadata (ObjectMeta) added at the root and in embedded resources.
    /// </summary>
    public SchemaNode ToSchemaNode() => _node.Value;

    private SchemaNode BuildSchemaNode()
    {
        var root = SchemaRegistry.FromStandalone(_raw);
        Fix(root, _raw, isRoot: true);
        return root;
    }

    /// <summary>
    /// Adjusts what FromStandalone reads as built-in conventions: in a CRD an object without properties is empty
    /// (its fields are pruned), not free-form; and root and embedded objects carry apiVersion, kind and metadata.
    /// </summary>
    private void Fix(SchemaNode node, JsonObject raw, bool isRoot)
    {
        if (ReferenceEquals(node, SchemaNode.AnyValue)) return;
        var preserve = raw["x-kubernetes-preserve-unknown-fields"] is JsonValue p && p.TryGetValue<bool>(out var pv) && pv;
        if (node.Kind == SchemaKind.Any && !preserve && (string?)raw["type"] == "object"
            && raw["properties"] == null && raw["additionalProperties"] == null)
        {
            node.Kind = SchemaKind.Object;
            node.PreserveUnknownFields = false;
        }
        if (raw["properties"] is JsonObject props)
            foreach (var (name, rawProp) in props)
                if (rawProp is JsonObject rp && node.Property(name) is { } child) Fix(child, rp, isRoot: false);
        if (raw["items"] is JsonObject items && node.Items != null) Fix(node.Items, items, isRoot: false);
        if (raw["additionalProperties"] is JsonObject ap && node.AdditionalProperties != null) Fix(node.AdditionalProperties, ap, isRoot: false);

        if (isRoot || node.EmbeddedResource)
        {
            var properties = new Dictionary<string, SchemaNode>(node.Properties, StringComparer.Ordinal);
            if (!properties.ContainsKey("apiVersion")) properties["apiVersion"] = new SchemaNode { Kind = SchemaKind.String };
            if (!properties.ContainsKey("kind")) properties["kind"] = new SchemaNode { Kind = SchemaKind.String };
            // CRD schemas may describe metadata loosely (type: object, name constraints); it is always ObjectMeta.
            properties["metadata"] = _objectMeta;
            if (node.Kind == SchemaKind.Any) node.Kind = SchemaKind.Object; // keeps PreserveUnknownFields
            node.Properties = properties;
        }
    }
}
