using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;
using static Anvil.ApiServer.Registry.JsonDefaults;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>
/// <c>pods/ephemeralcontainers</c> (podEphemeralContainersStrategy, what <c>kubectl debug</c> patches): an update
/// keeps the stored pod and takes only spec.ephemeralContainers from the request; containers may be added, never
/// changed or removed, and each is validated as ValidatePodEphemeralContainersUpdate does (no ports, resources,
/// probes, lifecycle or restartPolicy; a unique name; targetContainerName naming a container of the pod).
/// </summary>
public sealed class PodEphemeralContainersStrategy : ResourceStrategy
{
    public static readonly PodEphemeralContainersStrategy Instance = new();

    /// <summary>Fields of Container an ephemeral container may not set, in the struct's order.</summary>
    private static readonly string[] Disallowed =
        ["ports", "resources", "resizePolicy", "restartPolicy", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"];

    public override bool HasStatus => true;

    public override void Default(JsonObject obj) => PodStrategy.Instance.Default(obj);

    /// <summary>dropNonEphemeralContainerUpdates: the old pod with the new ephemeral containers (and the request's identity fields).</summary>
    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        var ephemeral = obj["spec"]?["ephemeralContainers"]?.DeepClone();
        var meta = obj["metadata"] as JsonObject ?? new JsonObject();
        var keep = new JsonObject();
        foreach (var key in (string[])["name", "namespace", "resourceVersion", "uid"])
            if (meta[key] is { } v) keep[key] = v.DeepClone();
        foreach (var key in obj.Select(p => p.Key).ToList()) obj.Remove(key);
        foreach (var (key, value) in old) obj[key] = value?.DeepClone();
        var newMeta = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = newMeta;
        foreach (var (key, value) in keep) newMeta[key] = value?.DeepClone();
        if (obj["spec"] is not JsonObject spec) obj["spec"] = spec = new JsonObject();
        if (ephemeral is JsonArray { Count: > 0 }) spec["ephemeralContainers"] = ephemeral;
        else spec.Remove("ephemeralContainers");
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old)
    {
        var errs = new List<FieldError>();
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        errs.AddRange(ValidateEphemeralContainers(spec, "spec.ephemeralContainers"));

        // Existing ephemeral containers may not be changed; order is not kept by patches, so match by name.
        var now = Items(spec, "ephemeralContainers").GroupBy(c => Str(c["name"]) ?? "").ToDictionary(g => g.Key, g => g.First());
        foreach (var was in Items(old["spec"] as JsonObject, "ephemeralContainers"))
        {
            var name = Str(was["name"]) ?? "";
            if (!now.TryGetValue(name, out var c))
                errs.Add(FieldError.Forbidden("spec.ephemeralContainers", $"existing ephemeral containers \"{name}\" may not be removed\n"));
            else if (!JsonNode.DeepEquals(c, was))
                errs.Add(FieldError.Forbidden("spec.ephemeralContainers", $"existing ephemeral containers \"{name}\" may not be changed\n"));
        }
        return errs;
    }

    /// <summary>validateEphemeralContainers.</summary>
    internal static List<FieldError> ValidateEphemeralContainers(JsonObject spec, string path)
    {
        var errs = new List<FieldError>();
        var volumes = PodSpecValidation.ValidateVolumes(spec, "spec.volumes", []);
        var others = Items(spec, "containers").Concat(Items(spec, "initContainers")).Select(c => Str(c["name"]) ?? "").ToHashSet();
        var all = new HashSet<string>(others);
        var i = 0;
        foreach (var c in Items(spec, "ephemeralContainers"))
        {
            var p = $"{path}[{i++}]";
            errs.AddRange(PodSpecValidation.ValidateContainerCommon(c, volumes, p));
            var name = Str(c["name"]) ?? "";
            if (string.IsNullOrEmpty(Str(c["image"]))) errs.Add(FieldError.Required(p + ".image"));
            if (!all.Add(name)) errs.Add(FieldError.Duplicate(p + ".name", name));
            if (Str(c["targetContainerName"]) is { Length: > 0 } target && !others.Contains(target))
                errs.Add(FieldError.NotFound(p + ".targetContainerName", target));
            foreach (var field in Disallowed)
                if (!IsZero(c[field])) errs.Add(FieldError.Forbidden($"{p}.{field}", "cannot be set for an Ephemeral Container"));
            var j = 0;
            foreach (var m in Items(c, "volumeMounts"))
            {
                foreach (var sub in (string[])["subPath", "subPathExpr"])
                    if (!IsUnsetString(m[sub])) errs.Add(FieldError.Forbidden($"{p}.volumeMounts[{j}].{sub}", "cannot be set for an Ephemeral Container"));
                j++;
            }
        }
        return errs;
    }

    /// <summary>Go's zero value: absent, null, "" or an empty object or list (kubectl debug sends <c>resources: {}</c>).</summary>
    private static bool IsZero(JsonNode? node) => IsUnsetString(node) || node is JsonObject { Count: 0 } or JsonArray { Count: 0 };

    public override void Canonicalize(JsonObject obj) => PodStrategy.Instance.Canonicalize(obj);
}
