using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Toolforge.Accounts;

/// <summary>
/// Where the tool quota defaults live and how a tool's ResourceQuota and LimitRange are made from them: the
/// ConfigMap <c>maintain-kubeusers/quota-defaults</c> (key <c>quota.yaml</c>, <see cref="ToolQuotaDefaults.Parse"/>),
/// seeded by <c>anvil up</c> and watched by the tool-accounts controller. Each quota records the fingerprint of the
/// defaults it was written from and the per-tool override applied to it, so that changed defaults are applied to
/// every tool with its override kept on top.
/// </summary>
public static class ToolQuotaConfig
{
    public const string Namespace = "maintain-kubeusers";
    public const string Name = "quota-defaults";
    public const string Key = "quota.yaml";

    public static JsonObject ConfigMap(ToolQuotaDefaults defaults) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = Name, ["namespace"] = Namespace, ["labels"] = ToolObjects.Labels() },
        ["data"] = new JsonObject { [Key] = defaults.ToYaml() },
    };

    /// <summary>The defaults in a ConfigMap; null without the key. Throws <see cref="FormatException"/> when invalid.</summary>
    public static ToolQuotaDefaults? FromConfigMap(JsonObject? cm) =>
        Str(cm?["data"]?[Key]) is { } yaml ? ToolQuotaDefaults.Parse(yaml) : null;

    /// <summary>The defaults as stored; the standard ones when the ConfigMap does not exist.</summary>
    public static async Task<ToolQuotaDefaults> ReadAsync(KubeClient client, CancellationToken ct)
    {
        try
        {
            var cm = await client.GetAsync(ToolforgeResources.ConfigMaps, Namespace, Name, ct).ConfigureAwait(false);
            return FromConfigMap(cm) ?? ToolQuotaDefaults.Standard;
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return ToolQuotaDefaults.Standard;
        }
    }

    /// <summary>The override kept on a tool's quota (by <see cref="QuotaPatch"/>), or null.</summary>
    public static QuotaOverride? OverrideOf(string tool, JsonObject quota) =>
        QuotaOverride.FromAnnotation(tool, Str(ObjectMeta.Annotations(quota)?[ToolAccountLabels.QuotaVersion]),
            Str(ObjectMeta.Annotations(quota)?[ToolAccountLabels.QuotaOverride]));

    /// <summary>Whether the quota or LimitRange was written from other defaults than <paramref name="defaults"/>.</summary>
    public static bool Stale(JsonObject obj, ToolQuotaDefaults defaults) =>
        Str(ObjectMeta.Annotations(obj)?[ToolAccountLabels.QuotaDefaults]) != defaults.Fingerprint();

    /// <summary>A new tool's ResourceQuota.</summary>
    public static JsonObject NewQuota(string tool, ToolQuotaDefaults defaults)
    {
        var q = ToolObjects.ResourceQuota(tool, defaults.Hard);
        q["metadata"]!["annotations"] = new JsonObject { [ToolAccountLabels.QuotaDefaults] = defaults.Fingerprint() };
        return q;
    }

    /// <summary>A new tool's LimitRange.</summary>
    public static JsonObject NewLimitRange(string tool, ToolQuotaDefaults defaults)
    {
        var lr = ToolObjects.LimitRange(tool, defaults);
        lr["metadata"]!["annotations"] = new JsonObject { [ToolAccountLabels.QuotaDefaults] = defaults.Fingerprint() };
        return lr;
    }

    /// <summary>
    /// A merge patch making <paramref name="quota"/>'s spec.hard the defaults with <paramref name="o"/> on top (keys
    /// neither has are removed), recording the defaults' fingerprint and, when given, the override and its version.
    /// Guarded by the quota's resourceVersion.
    /// </summary>
    public static JsonObject QuotaPatch(JsonObject quota, ToolQuotaDefaults defaults, QuotaOverride? o)
    {
        var hard = new JsonObject();
        foreach (var (k, v) in (o?.Hard(defaults.Hard) ?? new Dictionary<string, string>(defaults.Hard)).OrderBy(kv => kv.Key, StringComparer.Ordinal)) hard[k] = v;
        foreach (var (k, _) in quota["spec"]?["hard"] as JsonObject ?? [])
            if (!hard.ContainsKey(k)) hard[k] = null;
        var annotations = new JsonObject { [ToolAccountLabels.QuotaDefaults] = defaults.Fingerprint() };
        if (o != null)
        {
            annotations[ToolAccountLabels.QuotaVersion] = o.Version;
            annotations[ToolAccountLabels.QuotaOverride] = o.ToAnnotation();
        }
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = ObjectMeta.ResourceVersion(quota), ["annotations"] = annotations },
            ["spec"] = new JsonObject { ["hard"] = hard },
        };
    }

    /// <summary>
    /// A merge patch making the LimitRange's Container item the defaults, with the override's max when it sets
    /// pod_cpu/pod_memory; items of other types are kept.
    /// </summary>
    public static JsonObject LimitRangePatch(JsonObject limitRange, ToolQuotaDefaults defaults, QuotaOverride? o)
    {
        var limits = new JsonArray();
        foreach (var item in (limitRange["spec"]?["limits"] as JsonArray ?? []).OfType<JsonObject>())
            if (Str(item["type"]) != "Container") limits.Add(item.DeepClone());
        limits.Add(ToolObjects.LimitRangeItem(defaults, o?.LimitRangeMax(defaults)));
        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = ObjectMeta.ResourceVersion(limitRange),
                ["annotations"] = new JsonObject { [ToolAccountLabels.QuotaDefaults] = defaults.Fingerprint() },
            },
            ["spec"] = new JsonObject { ["limits"] = limits },
        };
    }
}
