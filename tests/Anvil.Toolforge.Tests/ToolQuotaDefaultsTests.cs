using System.Text.Json.Nodes;
using Anvil.Toolforge.Accounts;

namespace Anvil.Toolforge.Tests;

public sealed class ToolQuotaDefaultsTests
{
    [Fact]
    public void TheSeededYamlReadsBackAsTheStandardDefaults()
    {
        var parsed = ToolQuotaDefaults.Parse(ToolQuotaDefaults.Standard.ToYaml());
        Assert.Equal(ToolQuotaDefaults.Standard.Fingerprint(), parsed.Fingerprint());
        Assert.Equal(ToolQuotaDefaults.Standard.Hard.OrderBy(kv => kv.Key), parsed.Hard.OrderBy(kv => kv.Key));
        Assert.Equal(("150m", "256Mi"), parsed.DefaultRequest);
    }

    [Fact]
    public void HardReplacesTheMapAndContainerEntriesReplaceOneByOne()
    {
        var d = ToolQuotaDefaults.Parse("""
            hard:
              pods: "10"
              limits.cpu: 4
            container:
              max: {cpu: "2", memory: 6Gi}
            """);
        Assert.Equal(new Dictionary<string, string> { ["pods"] = "10", ["limits.cpu"] = "4" }, d.Hard);
        Assert.Equal(("2", "6Gi"), d.Max);
        Assert.Equal(("500m", "512Mi"), d.DefaultLimit);
        Assert.NotEqual(ToolQuotaDefaults.Standard.Fingerprint(), d.Fingerprint());
    }

    [Theory]
    [InlineData("hard: [1]", "hard: expected a mapping of resource names to quantities")]
    [InlineData("hard: {pods: lots}", "hard.pods: \"lots\" is not a quantity: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
    [InlineData("hard: {pods: \"-1\"}", "hard.pods: \"-1\" must not be negative")]
    [InlineData("container: {max: {cpu: 1}}", "container.max: needs both cpu and memory")]
    [InlineData("container: {maximum: {cpu: 1, memory: 1Gi}}", "container: unknown key \"maximum\" (known: default, defaultRequest, max, min)")]
    [InlineData("container: {max: {cpu: 1, memory: 1Gi, gpu: 1}}", "container.max: unknown key \"gpu\" (known: cpu, memory)")]
    [InlineData("quota: {}", "unknown key \"quota\" (known: hard, container)")]
    [InlineData("- a", "expected a mapping with \"hard\" and \"container\" keys")]
    public void ClearErrors(string yaml, string message)
    {
        var e = Assert.Throws<FormatException>(() => ToolQuotaDefaults.Parse(yaml));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void AnOverrideSurvivesOnTheQuotaAndIsReappliedOnNewDefaults()
    {
        var o = new QuotaOverride("alpha", "T1") { Cpu = 4, Memory = 16, PodMemory = 8 };
        var quota = ToolQuotaConfig.NewQuota("alpha", ToolQuotaDefaults.Standard);
        quota["metadata"]!["resourceVersion"] = "5";
        var patch = ToolQuotaConfig.QuotaPatch(quota, ToolQuotaDefaults.Standard, o);
        var annotations = patch["metadata"]!["annotations"]!;
        Assert.Equal("T1", (string?)annotations[ToolAccountLabels.QuotaVersion]);
        Assert.Equal("5", (string?)patch["metadata"]!["resourceVersion"]);

        // The quota as stored after that patch, then new defaults: the override stays on top.
        quota["metadata"]!["annotations"] = annotations.DeepClone();
        quota["spec"] = new JsonObject { ["hard"] = patch["spec"]!["hard"]!.DeepClone() };
        var kept = ToolQuotaConfig.OverrideOf("alpha", quota);
        Assert.Equal(o, kept);
        var raised = ToolQuotaDefaults.Standard with { Hard = new Dictionary<string, string>(ToolQuotaDefaults.Standard.Hard) { ["pods"] = "10" } };
        raised = raised with { Hard = raised.Hard.Where(kv => kv.Key != "secrets").ToDictionary() };
        Assert.True(ToolQuotaConfig.Stale(quota, raised));
        var again = ToolQuotaConfig.QuotaPatch(quota, raised, kept);
        var hard = again["spec"]!["hard"]!;
        Assert.Equal(("10", "4", "16Gi", "8Gi"), ((string?)hard["pods"], (string?)hard["limits.cpu"], (string?)hard["limits.memory"], (string?)hard["requests.memory"]));
        // A key the new defaults dropped is removed (merge patch null).
        Assert.True(hard.AsObject().ContainsKey("secrets"));
        Assert.Null(hard["secrets"]);
        Assert.Equal(raised.Fingerprint(), (string?)again["metadata"]!["annotations"]![ToolAccountLabels.QuotaDefaults]);

        var lr = ToolQuotaConfig.NewLimitRange("alpha", ToolQuotaDefaults.Standard);
        var lrPatch = ToolQuotaConfig.LimitRangePatch(lr, raised with { DefaultLimit = ("1", "1Gi") }, kept);
        Assert.Equal("""[{"type":"Container","default":{"cpu":"1","memory":"1Gi"},"defaultRequest":{"cpu":"150m","memory":"256Mi"},"max":{"cpu":"1","memory":"8Gi"},"min":{"cpu":"50m","memory":"100Mi"}}]""",
            lrPatch["spec"]!["limits"]!.ToJsonString());
    }

    [Fact]
    public void AQuotaWithoutAnOverrideFollowsTheDefaults()
    {
        var quota = ToolQuotaConfig.NewQuota("beta", ToolQuotaDefaults.Standard);
        Assert.Null(ToolQuotaConfig.OverrideOf("beta", quota));
        Assert.False(ToolQuotaConfig.Stale(quota, ToolQuotaDefaults.Standard));
        var patch = ToolQuotaConfig.QuotaPatch(quota, ToolQuotaDefaults.Standard, null);
        Assert.Equal("4", (string?)patch["spec"]!["hard"]!["pods"]);
        Assert.Null(patch["metadata"]!["annotations"]![ToolAccountLabels.QuotaVersion]);
    }
}
