using System.Security.Cryptography;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Anvil.Toolforge.Accounts;

/// <summary>
/// The ResourceQuota and LimitRange every tool namespace starts with (maintain-kubeusers' defaults; the issue's
/// <c>pods 4</c> where the 2023 source says 10). Configurable through the ConfigMap of <see cref="ToolQuotaConfig"/>,
/// whose <c>quota.yaml</c> is <see cref="Parse"/>'s format: the quota's <c>hard</c> map and the LimitRange's
/// <c>container</c> item (<c>default</c>, <c>defaultRequest</c>, <c>max</c>, <c>min</c>, each cpu and memory).
/// </summary>
public sealed record ToolQuotaDefaults
{
    public IReadOnlyDictionary<string, string> Hard { get; init; } = new Dictionary<string, string>
    {
        ["requests.cpu"] = "2",
        ["requests.memory"] = "6Gi",
        ["limits.cpu"] = "2",
        ["limits.memory"] = "8Gi",
        ["pods"] = "4",
        ["services"] = "1",
        ["services.nodeports"] = "0",
        ["replicationcontrollers"] = "1",
        ["secrets"] = "10",
        ["configmaps"] = "10",
        ["persistentvolumeclaims"] = "3",
        ["count/cronjobs.batch"] = "50",
        ["count/jobs.batch"] = "15",
        ["count/deployments.apps"] = "3",
    };

    /// <summary>LimitRange type Container: default (limits), defaultRequest, max, min as (cpu, memory).</summary>
    public (string Cpu, string Memory) DefaultLimit { get; init; } = ("500m", "512Mi");
    public (string Cpu, string Memory) DefaultRequest { get; init; } = ("150m", "256Mi");
    public (string Cpu, string Memory) Max { get; init; } = ("1", "4Gi");
    public (string Cpu, string Memory) Min { get; init; } = ("50m", "100Mi");

    public static ToolQuotaDefaults Standard { get; } = new();

    private static readonly string[] ContainerKeys = ["default", "defaultRequest", "max", "min"];

    /// <summary>
    /// A short digest of every value, recorded on each tool's quota and LimitRange: the controller rewrites them
    /// only when the defaults they were written from change (so hand edits and overrides stay until then).
    /// </summary>
    public string Fingerprint()
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in Hard.OrderBy(kv => kv.Key, StringComparer.Ordinal)) sb.Append(k).Append('=').Append(v).Append('\n');
        foreach (var (cpu, memory) in new[] { DefaultLimit, DefaultRequest, Max, Min }) sb.Append(cpu).Append('/').Append(memory).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..16];
    }

    /// <summary>The defaults as <see cref="Parse"/> reads them (what <c>anvil up</c> seeds the ConfigMap with).</summary>
    public string ToYaml()
    {
        var sb = new StringBuilder("# Tool namespaces' ResourceQuota spec.hard and LimitRange (type Container) defaults.\n");
        sb.Append("# Changing them rewrites every tool's quota and LimitRange, keeping per-tool overrides (anvil admin quotas apply).\n");
        sb.Append("hard:\n");
        foreach (var (k, v) in Hard.OrderBy(kv => kv.Key, StringComparer.Ordinal)) sb.Append("  ").Append(k).Append(": \"").Append(v).Append("\"\n");
        sb.Append("container:\n");
        foreach (var (key, (cpu, memory)) in ContainerKeys.Zip(new[] { DefaultLimit, DefaultRequest, Max, Min }))
            sb.Append("  ").Append(key).Append(": {cpu: \"").Append(cpu).Append("\", memory: \"").Append(memory).Append("\"}\n");
        return sb.ToString();
    }

    /// <summary>
    /// Reads <c>hard:</c> (replaces the whole map; every value a quantity) and <c>container:</c> (each of
    /// default, defaultRequest, max, min with cpu and memory; a missing entry keeps the standard value).
    /// Throws <see cref="FormatException"/> naming the key it does not understand.
    /// </summary>
    public static ToolQuotaDefaults Parse(string yaml)
    {
        var root = YamlMapping.Load(yaml, "a mapping with \"hard\" and \"container\" keys");
        var result = Standard;
        foreach (var (k, v) in root.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? "";
            switch (key)
            {
                case "hard":
                    if (v is not YamlMappingNode hardMap) throw new FormatException("hard: expected a mapping of resource names to quantities");
                    var hard = new Dictionary<string, string>();
                    foreach (var (name, q) in hardMap.Children)
                    {
                        var n = (name as YamlScalarNode)?.Value ?? "";
                        hard[n] = Quantity(q, "hard." + n);
                    }
                    result = result with { Hard = hard };
                    break;
                case "container":
                    if (v is not YamlMappingNode container) throw new FormatException("container: expected a mapping with default, defaultRequest, max, min");
                    foreach (var (ck, cv) in container.Children)
                    {
                        var c = (ck as YamlScalarNode)?.Value ?? "";
                        var pair = Pair(cv, "container." + c);
                        result = c switch
                        {
                            "default" => result with { DefaultLimit = pair },
                            "defaultRequest" => result with { DefaultRequest = pair },
                            "max" => result with { Max = pair },
                            "min" => result with { Min = pair },
                            _ => throw new FormatException($"container: unknown key \"{c}\" (known: {string.Join(", ", ContainerKeys)})"),
                        };
                    }
                    break;
                default:
                    throw new FormatException($"unknown key \"{key}\" (known: hard, container)");
            }
        }
        return result;
    }

    private static (string Cpu, string Memory) Pair(YamlNode node, string path)
    {
        if (node is not YamlMappingNode map) throw new FormatException($"{path}: expected a mapping with cpu and memory");
        string? cpu = null, memory = null;
        foreach (var (k, v) in map.Children)
        {
            switch ((k as YamlScalarNode)?.Value)
            {
                case "cpu": cpu = Quantity(v, path + ".cpu"); break;
                case "memory": memory = Quantity(v, path + ".memory"); break;
                default: throw new FormatException($"{path}: unknown key \"{(k as YamlScalarNode)?.Value}\" (known: cpu, memory)");
            }
        }
        if (cpu == null || memory == null) throw new FormatException($"{path}: needs both cpu and memory");
        return (cpu, memory);
    }

    private static string Quantity(YamlNode node, string path)
    {
        var s = (node as YamlScalarNode)?.Value;
        if (!Anvil.Machinery.Quantities.Quantity.TryParse(s, out var q, out var error))
            throw new FormatException($"{path}: \"{s}\" is not a quantity{(error == null ? "" : ": " + error)}");
        if (q.Sign < 0) throw new FormatException($"{path}: \"{s}\" must not be negative");
        return s!;
    }
}
