using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.Node.Volumes;

/// <summary>
/// Values the downward API exposes (pkg/fieldpath and the kubelet's podFieldSelectorRuntimeValue /
/// containerResourceRuntimeValue), shared by env <c>valueFrom</c> and downwardAPI volume files.
/// </summary>
public static class DownwardApi
{
    /// <summary>
    /// A <c>fieldRef.fieldPath</c> of the pod; null with an error text for paths the kubelet does not support.
    /// <paramref name="hostIP"/> and <paramref name="podIPs"/> come from the node (status may not be written yet).
    /// </summary>
    public static string? FieldValue(JsonObject pod, string fieldPath, string hostIP, IReadOnlyList<string> podIPs, out string error)
    {
        error = "";
        var meta = pod["metadata"] as JsonObject;
        if (TrySubscript(fieldPath, "metadata.labels", out var label)) return Str(meta?["labels"]?[label]);
        if (TrySubscript(fieldPath, "metadata.annotations", out var annotation)) return Str(meta?["annotations"]?[annotation]);
        switch (fieldPath)
        {
            case "metadata.name": return Str(meta?["name"]);
            case "metadata.namespace": return Str(meta?["namespace"]);
            case "metadata.uid": return Str(meta?["uid"]);
            case "metadata.labels": return FormatMap(meta?["labels"] as JsonObject);
            case "metadata.annotations": return FormatMap(meta?["annotations"] as JsonObject);
            case "spec.nodeName": return Str(pod["spec"]?["nodeName"]);
            case "spec.serviceAccountName": return Str(pod["spec"]?["serviceAccountName"]);
            case "status.hostIP": return hostIP;
            case "status.hostIPs": return hostIP;
            case "status.podIP": return podIPs.Count > 0 ? podIPs[0] : "";
            case "status.podIPs": return string.Join(',', podIPs);
        }
        error = $"unsupported fieldPath: {fieldPath}";
        return null;
    }

    /// <summary><c>metadata.labels['key']</c> → key.</summary>
    private static bool TrySubscript(string path, string prefix, out string key)
    {
        key = "";
        if (!path.StartsWith(prefix + "['", StringComparison.Ordinal) || !path.EndsWith("']", StringComparison.Ordinal)) return false;
        key = path[(prefix.Length + 2)..^2];
        return true;
    }

    /// <summary>fieldpath.FormatMap: sorted <c>key="value"</c> lines, values Go-quoted, no trailing newline.</summary>
    public static string FormatMap(JsonObject? map)
    {
        if (map == null) return "";
        var sb = new StringBuilder();
        foreach (var (k, v) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
            sb.Append(k).Append('=').Append(GoQuote.Quote(Str(v))).Append('\n');
        return sb.ToString().TrimEnd('\n');
    }

    /// <summary>
    /// A <c>resourceFieldRef</c> of a container: limits/requests of cpu, memory or ephemeral-storage divided by the
    /// divisor and rounded up. Unset limits read as the node's allocatable, as the kubelet defaults them.
    /// </summary>
    public static string? ResourceValue(JsonObject container, string resource, string? divisorText, NodeAllocatable node, out string error)
    {
        error = "";
        var parts = resource.Split('.', 2);
        if (parts.Length != 2 || parts[0] is not ("limits" or "requests"))
        {
            error = $"unsupported container resource : {resource}";
            return null;
        }
        var (kind, name) = (parts[0], parts[1]);
        decimal? value = Quantity(container["resources"]?[kind]?[name]);
        if (kind == "limits" && value == null)
            value = name switch { "cpu" => node.Cpu, "memory" => node.MemoryBytes, "ephemeral-storage" => node.EphemeralStorageBytes, _ => null };
        if (name is not ("cpu" or "memory" or "ephemeral-storage") && !name.StartsWith("hugepages-", StringComparison.Ordinal))
        {
            error = $"unsupported container resource : {resource}";
            return null;
        }
        var divisor = divisorText is { Length: > 0 } && QuantityValidation.TryParse(divisorText, out var d, out _) && d > 0 ? d : 1m;
        var v = value ?? 0m;
        if (name == "cpu")
        {
            // convertResourceCPUToString: ceil(milli(value) / milli(divisor)).
            var milli = Math.Ceiling(v * 1000m);
            var divMilli = Math.Max(1m, Math.Ceiling(divisor * 1000m));
            return ((long)Math.Ceiling(milli / divMilli)).ToString(CultureInfo.InvariantCulture);
        }
        return ((long)Math.Ceiling(Math.Ceiling(v) / Math.Ceiling(divisor))).ToString(CultureInfo.InvariantCulture);
    }

    private static decimal? Quantity(JsonNode? n) =>
        QuantityValidation.TryParse(QuantityValidation.Text(n), out var value, out _) ? value : null;

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
