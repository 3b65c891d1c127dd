using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;

namespace Anvil.Machinery.Selectors;

/// <summary>
/// The fields each kind can be selected by, as kube-apiserver 1.32 defines them (the kind's
/// <c>ToSelectableFields</c> in pkg/registry and the field label conversion in pkg/apis/*/v1/conversion.go),
/// with values stringified as upstream does (bools "true"/"false", numbers in decimal, missing as "").
/// </summary>
public static class FieldSelectorFields
{
    private sealed record KindFields(IReadOnlyDictionary<string, Func<JsonObject, string?>> Fields, Func<string, string>? Unsupported);

    private static readonly Dictionary<(string Group, string Kind), KindFields> Kinds = Build();

    /// <summary>The selectable fields of a kind; unknown kinds get <c>metadata.name</c> and <c>metadata.namespace</c>.</summary>
    public static IReadOnlyDictionary<string, Func<JsonObject, string?>> For(string group, string kind) =>
        Kinds.TryGetValue((group, kind), out var k) ? k.Fields : DefaultFields;

    /// <summary>
    /// Rejects the first field the kind does not support with kube-apiserver's 400 message:
    /// <c>field label not supported: spec.foo</c> for kinds with a conversion function, otherwise
    /// <c>"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"</c>.
    /// </summary>
    public static void Validate(string group, string kind, FieldSelector selector)
    {
        var fields = For(group, kind);
        foreach (var r in selector.Requirements)
        {
            if (fields.ContainsKey(r.Field)) continue;
            var unsupported = Kinds.TryGetValue((group, kind), out var k) ? k.Unsupported : null;
            throw StatusError.BadRequest(unsupported != null
                ? unsupported(r.Field)
                : $"{GoFormat.Quote(r.Field)} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
        }
    }

    /// <summary>Whether <paramref name="obj"/> matches <paramref name="selector"/> using the kind's fields.</summary>
    public static bool Matches(string group, string kind, FieldSelector selector, JsonObject obj)
    {
        if (selector.IsEmpty) return true;
        var fields = For(group, kind);
        return selector.Matches(name => fields.TryGetValue(name, out var get) ? get(obj) : null);
    }

    private static readonly IReadOnlyDictionary<string, Func<JsonObject, string?>> DefaultFields = Fields(namespaced: true);

    private static string NotSupported(string label) => "field label not supported: " + label;

    private static Dictionary<(string, string), KindFields> Build()
    {
        var kinds = new Dictionary<(string, string), KindFields>();

        kinds[("", "Pod")] = new(Fields(true, new()
        {
            ["spec.nodeName"] = o => Str(o, "spec", "nodeName"),
            ["spec.host"] = o => Str(o, "spec", "nodeName"), // old clients; upstream converts it to spec.nodeName
            ["spec.restartPolicy"] = o => Str(o, "spec", "restartPolicy"),
            ["spec.schedulerName"] = o => Str(o, "spec", "schedulerName"),
            ["spec.serviceAccountName"] = o => Str(o, "spec", "serviceAccountName"),
            ["spec.hostNetwork"] = o => Bool(o, "spec", "hostNetwork"),
            ["status.phase"] = o => Str(o, "status", "phase"),
            ["status.podIP"] = o => (Node(o, "status", "podIPs") as JsonArray)?.FirstOrDefault() is JsonObject ip ? Str(ip, "ip") : "",
            // Accepted by the conversion but not part of the pod's selectable field set, so it reads as "".
            ["status.podIPs"] = _ => "",
            ["status.nominatedNodeName"] = o => Str(o, "status", "nominatedNodeName"),
        }), NotSupported);

        kinds[("", "Event")] = new(Fields(true, new()
        {
            ["involvedObject.kind"] = o => Str(o, "involvedObject", "kind"),
            ["involvedObject.namespace"] = o => Str(o, "involvedObject", "namespace"),
            ["involvedObject.name"] = o => Str(o, "involvedObject", "name"),
            ["involvedObject.uid"] = o => Str(o, "involvedObject", "uid"),
            ["involvedObject.apiVersion"] = o => Str(o, "involvedObject", "apiVersion"),
            ["involvedObject.resourceVersion"] = o => Str(o, "involvedObject", "resourceVersion"),
            ["involvedObject.fieldPath"] = o => Str(o, "involvedObject", "fieldPath"),
            ["reason"] = o => Str(o, "reason"),
            ["reportingComponent"] = o => Str(o, "reportingComponent"),
            ["source"] = o => Str(o, "source", "component") is { Length: > 0 } c ? c : Str(o, "reportingComponent"),
            ["type"] = o => Str(o, "type"),
        }), NotSupported);

        // events.k8s.io names its fields differently but selects the same stored values; a core/v1 shaped
        // object (involvedObject, reportingComponent) is read as well.
        kinds[("events.k8s.io", "Event")] = new(Fields(true, new()
        {
            ["regarding.kind"] = o => Either(o, "regarding", "involvedObject", "kind"),
            ["regarding.namespace"] = o => Either(o, "regarding", "involvedObject", "namespace"),
            ["regarding.name"] = o => Either(o, "regarding", "involvedObject", "name"),
            ["regarding.uid"] = o => Either(o, "regarding", "involvedObject", "uid"),
            ["regarding.apiVersion"] = o => Either(o, "regarding", "involvedObject", "apiVersion"),
            ["regarding.resourceVersion"] = o => Either(o, "regarding", "involvedObject", "resourceVersion"),
            ["regarding.fieldPath"] = o => Either(o, "regarding", "involvedObject", "fieldPath"),
            ["reason"] = o => Str(o, "reason"),
            ["reportingController"] = o => Str(o, "reportingController") is { Length: > 0 } c ? c : Str(o, "reportingComponent"),
            ["type"] = o => Str(o, "type"),
        }), NotSupported);

        kinds[("", "Secret")] = new(Fields(true, new() { ["type"] = o => Str(o, "type") }), NotSupported);
        kinds[("", "Namespace")] = new(Fields(false, new() { ["status.phase"] = o => Str(o, "status", "phase") }), NotSupported);
        kinds[("", "Node")] = new(Fields(false, new() { ["spec.unschedulable"] = o => Bool(o, "spec", "unschedulable") }), NotSupported);
        kinds[("", "ReplicationController")] = new(Fields(true, new() { ["status.replicas"] = o => Int(o, "status", "replicas") }), NotSupported);
        kinds[("", "Service")] = new(Fields(true, new()
        {
            ["spec.clusterIP"] = o => Str(o, "spec", "clusterIP"),
            ["spec.type"] = o => Str(o, "spec", "type"),
        }), NotSupported);
        kinds[("apps", "ReplicaSet")] = new(Fields(true, new() { ["status.replicas"] = o => Int(o, "status", "replicas") }), NotSupported);
        kinds[("batch", "Job")] = new(Fields(true, new() { ["status.successful"] = o => Int(o, "status", "succeeded") }),
            label => $"field label {GoFormat.Quote(label)} not supported for batchv1.Job");
        kinds[("certificates.k8s.io", "CertificateSigningRequest")] = new(
            Fields(false, new() { ["spec.signerName"] = o => Str(o, "spec", "signerName") }), NotSupported);

        // Cluster-scoped kinds without a conversion function still accept metadata.namespace (it reads "").
        return kinds;
    }

    private static Dictionary<string, Func<JsonObject, string?>> Fields(bool namespaced, Dictionary<string, Func<JsonObject, string?>>? specific = null)
    {
        var fields = new Dictionary<string, Func<JsonObject, string?>>(StringComparer.Ordinal)
        {
            ["metadata.name"] = o => Str(o, "metadata", "name"),
        };
        if (namespaced) fields["metadata.namespace"] = o => Str(o, "metadata", "namespace");
        if (specific != null)
            foreach (var (k, v) in specific)
                fields[k] = v;
        return fields;
    }

    private static JsonNode? Node(JsonObject o, params string[] path)
    {
        JsonNode? n = o;
        foreach (var p in path) n = (n as JsonObject)?[p];
        return n;
    }

    private static string Str(JsonObject o, params string[] path) =>
        Node(o, path) is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static string Either(JsonObject o, string first, string second, string field) =>
        Str(o, first, field) is { Length: > 0 } s ? s : Str(o, second, field);

    private static string Bool(JsonObject o, params string[] path) =>
        Node(o, path) is JsonValue v && v.TryGetValue<bool>(out var b) && b ? "true" : "false";

    private static string Int(JsonObject o, params string[] path) =>
        Node(o, path) is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
        && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n.ToString(CultureInfo.InvariantCulture)
            : "0";
}
