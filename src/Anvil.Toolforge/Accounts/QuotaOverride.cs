using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Anvil.Toolforge.Accounts;

/// <summary>
/// One tool's entry of maintain-kubeusers' quota overrides (toolforge-deploy values/tools.yaml):
/// <c>{version, cpu, memory, pods, jobs, cronjobs, deployments, services, pod_cpu, pod_memory}</c>. <c>memory: N</c>
/// gives <c>limits.memory NGi</c> and <c>requests.memory N/2 Gi</c>; <c>cpu: N</c> both cpu limit and request;
/// <c>pod_cpu</c>/<c>pod_memory</c> the LimitRange max. <c>version</c> is a change marker: an override is applied
/// again only when it changes.
/// </summary>
public sealed record QuotaOverride(string Tool, string Version)
{
    public decimal? Cpu { get; init; }
    public decimal? Memory { get; init; }
    public long? Pods { get; init; }
    public long? Jobs { get; init; }
    public long? CronJobs { get; init; }
    public long? Deployments { get; init; }
    public long? Services { get; init; }
    public decimal? PodCpu { get; init; }
    public decimal? PodMemory { get; init; }

    private static readonly string[] Keys = ["version", "cpu", "memory", "pods", "jobs", "cronjobs", "deployments", "services", "pod_cpu", "pod_memory"];

    /// <summary>The quota's spec.hard: the defaults with this override's values in place.</summary>
    public Dictionary<string, string> Hard(IReadOnlyDictionary<string, string> defaults)
    {
        var hard = new Dictionary<string, string>(defaults);
        if (Cpu is { } cpu)
        {
            hard["limits.cpu"] = Num(cpu);
            hard["requests.cpu"] = Num(cpu);
        }
        if (Memory is { } memory)
        {
            hard["limits.memory"] = Gi(memory);
            hard["requests.memory"] = Gi(memory / 2);
        }
        if (Pods is { } pods) hard["pods"] = Num(pods);
        if (Services is { } services) hard["services"] = Num(services);
        if (Jobs is { } jobs) hard["count/jobs.batch"] = Num(jobs);
        if (CronJobs is { } cronjobs) hard["count/cronjobs.batch"] = Num(cronjobs);
        if (Deployments is { } deployments) hard["count/deployments.apps"] = Num(deployments);
        return hard;
    }

    /// <summary>The LimitRange max for containers, or null when the override leaves it alone.</summary>
    public (string Cpu, string Memory)? LimitRangeMax(ToolQuotaDefaults defaults) =>
        PodCpu == null && PodMemory == null ? null
            : (PodCpu is { } c ? Num(c) : defaults.Max.Cpu, PodMemory is { } m ? Gi(m) : defaults.Max.Memory);

    /// <summary>The override's values as JSON with the file's keys, kept on the tool's quota so that changed
    /// defaults can be applied later without losing it.</summary>
    public string ToAnnotation()
    {
        var o = new JsonObject();
        void Put(string key, decimal? v)
        {
            if (v is { } d) o[key] = d;
        }
        Put("cpu", Cpu);
        Put("memory", Memory);
        Put("pods", Pods);
        Put("jobs", Jobs);
        Put("cronjobs", CronJobs);
        Put("deployments", Deployments);
        Put("services", Services);
        Put("pod_cpu", PodCpu);
        Put("pod_memory", PodMemory);
        return o.ToJsonString();
    }

    /// <summary>Reads <see cref="ToAnnotation"/>'s JSON back; null when it is missing or not understood.</summary>
    public static QuotaOverride? FromAnnotation(string tool, string? version, string? json)
    {
        if (json == null) return null;
        try
        {
            if (JsonNode.Parse(json) is not JsonObject o) return null;
            decimal? D(string key) => o[key] is JsonValue v && v.TryGetValue<decimal>(out var d) ? d : null;
            long? L(string key) => D(key) is { } d ? (long)d : null;
            return new QuotaOverride(tool, version ?? "")
            {
                Cpu = D("cpu"),
                Memory = D("memory"),
                Pods = L("pods"),
                Jobs = L("jobs"),
                CronJobs = L("cronjobs"),
                Deployments = L("deployments"),
                Services = L("services"),
                PodCpu = D("pod_cpu"),
                PodMemory = D("pod_memory"),
            };
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Num(decimal d) => d.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>N GiB as a quantity: whole GiB as "NGi", else in MiB ("8.5" → "8704Mi").</summary>
    internal static string Gi(decimal gib)
    {
        if (gib == decimal.Truncate(gib)) return Num(gib) + "Gi";
        var mib = gib * 1024;
        return mib == decimal.Truncate(mib) ? Num(mib) + "Mi" : Num(decimal.Round(mib * 1024)) + "Ki";
    }

    /// <summary>
    /// Parses an overrides file: <c>overrides:</c> (optionally under <c>quotas:</c>) mapping tool names to entries.
    /// Throws <see cref="FormatException"/> naming the tool and key for anything it does not understand.
    /// </summary>
    public static IReadOnlyList<QuotaOverride> Parse(string yaml)
    {
        var root = YamlMapping.Load(yaml, "a mapping with an \"overrides\" key");
        if (Child(root, "quotas") is YamlMappingNode quotas) root = quotas;
        if (Child(root, "overrides") is not YamlMappingNode overrides)
            throw new FormatException("expected a mapping with an \"overrides\" key");
        var result = new List<QuotaOverride>();
        foreach (var (k, v) in overrides.Children)
        {
            var tool = ((YamlScalarNode)k).Value ?? "";
            if (ToolNames.Validate(tool) is { } invalid) throw new FormatException($"overrides: {invalid}");
            if (v is not YamlMappingNode entry) throw new FormatException($"overrides.{tool}: expected a mapping");
            foreach (var key in entry.Children.Keys.Select(n => ((YamlScalarNode)n).Value ?? ""))
                if (!Keys.Contains(key)) throw new FormatException($"overrides.{tool}: unknown key \"{key}\" (known: {string.Join(", ", Keys)})");
            var version = Scalar(entry, "version");
            if (string.IsNullOrEmpty(version)) throw new FormatException($"overrides.{tool}: version is required (change it to apply a changed override again)");
            result.Add(new QuotaOverride(tool, version)
            {
                Cpu = Dec(entry, tool, "cpu"),
                Memory = Dec(entry, tool, "memory"),
                Pods = Count(entry, tool, "pods"),
                Jobs = Count(entry, tool, "jobs"),
                CronJobs = Count(entry, tool, "cronjobs"),
                Deployments = Count(entry, tool, "deployments"),
                Services = Count(entry, tool, "services"),
                PodCpu = Dec(entry, tool, "pod_cpu"),
                PodMemory = Dec(entry, tool, "pod_memory"),
            });
        }
        return result;
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string? Scalar(YamlMappingNode map, string key) => (Child(map, key) as YamlScalarNode)?.Value;

    private static decimal? Dec(YamlMappingNode map, string tool, string key)
    {
        if (Scalar(map, key) is not { } s) return null;
        if (!decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) || d <= 0)
            throw new FormatException($"overrides.{tool}.{key}: \"{s}\" is not a positive number");
        return d;
    }

    private static long? Count(YamlMappingNode map, string tool, string key)
    {
        if (Scalar(map, key) is not { } s) return null;
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw new FormatException($"overrides.{tool}.{key}: \"{s}\" is not a whole number");
        return n;
    }
}
