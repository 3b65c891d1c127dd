using Anvil.Toolforge.Accounts;

namespace Anvil.Toolforge.Tests;

public sealed class QuotaOverrideTests
{
    [Fact]
    public void ParsesToolforgeDeployValues()
    {
        var overrides = QuotaOverride.Parse("""
            quotas:
              overrides:
                cluebotng-review: {version: T403964-2, cpu: 25, memory: 16, pods: 25}
                video-answer-tool: {version: T376505-3, pod_cpu: 6, pod_memory: 8}
                xiplus: {version: T315719, cronjobs: 100}
            """);
        Assert.Equal(["cluebotng-review", "video-answer-tool", "xiplus"], overrides.Select(o => o.Tool));
        Assert.Equal(new QuotaOverride("cluebotng-review", "T403964-2") { Cpu = 25, Memory = 16, Pods = 25 }, overrides[0]);
        Assert.Equal(new QuotaOverride("video-answer-tool", "T376505-3") { PodCpu = 6, PodMemory = 8 }, overrides[1]);
        Assert.Equal(new QuotaOverride("xiplus", "T315719") { CronJobs = 100 }, overrides[2]);
    }

    [Fact]
    public void MemoryGivesHalfAsRequestAndCpuBoth()
    {
        var hard = new QuotaOverride("t", "v") { Cpu = 25, Memory = 16, Pods = 25, Jobs = 30, CronJobs = 60, Deployments = 16, Services = 5 }.Hard(ToolQuotaDefaults.Standard.Hard);
        Assert.Equal("16Gi", hard["limits.memory"]);
        Assert.Equal("8Gi", hard["requests.memory"]);
        Assert.Equal("25", hard["limits.cpu"]);
        Assert.Equal("25", hard["requests.cpu"]);
        Assert.Equal("25", hard["pods"]);
        Assert.Equal("30", hard["count/jobs.batch"]);
        Assert.Equal("60", hard["count/cronjobs.batch"]);
        Assert.Equal("16", hard["count/deployments.apps"]);
        Assert.Equal("5", hard["services"]);
        // Untouched keys keep the defaults.
        Assert.Equal("10", hard["secrets"]);
        Assert.Equal("0", hard["services.nodeports"]);
    }

    [Theory]
    [InlineData("16", "16Gi", "8Gi")]
    [InlineData("9", "9Gi", "4608Mi")]
    [InlineData("0.5", "512Mi", "256Mi")]
    public void MemoryQuantities(string memory, string limit, string request)
    {
        var hard = new QuotaOverride("t", "v") { Memory = decimal.Parse(memory, System.Globalization.CultureInfo.InvariantCulture) }.Hard(ToolQuotaDefaults.Standard.Hard);
        Assert.Equal((limit, request), (hard["limits.memory"], hard["requests.memory"]));
    }

    [Fact]
    public void PodLimitsSetTheLimitRangeMax()
    {
        Assert.Equal(("6", "8Gi"), new QuotaOverride("t", "v") { PodCpu = 6, PodMemory = 8 }.LimitRangeMax(ToolQuotaDefaults.Standard));
        Assert.Equal(("1", "6Gi"), new QuotaOverride("t", "v") { PodMemory = 6 }.LimitRangeMax(ToolQuotaDefaults.Standard));
        Assert.Null(new QuotaOverride("t", "v") { Pods = 6 }.LimitRangeMax(ToolQuotaDefaults.Standard));
    }

    [Theory]
    [InlineData("overrides:\n  a: {cpu: 2}\n", "overrides.a: version is required (change it to apply a changed override again)")]
    [InlineData("overrides:\n  a: {version: x, ram: 2}\n", "overrides.a: unknown key \"ram\" (known: version, cpu, memory, pods, jobs, cronjobs, deployments, services, pod_cpu, pod_memory)")]
    [InlineData("overrides:\n  a: {version: x, pods: many}\n", "overrides.a.pods: \"many\" is not a whole number")]
    [InlineData("overrides:\n  a: {version: x, cpu: -1}\n", "overrides.a.cpu: \"-1\" is not a positive number")]
    [InlineData("overrides:\n  Bad: {version: x}\n", "overrides: invalid name \"Bad\": must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    [InlineData("tools: {}\n", "expected a mapping with an \"overrides\" key")]
    public void RejectsWithClearMessages(string yaml, string message)
    {
        var e = Assert.Throws<FormatException>(() => QuotaOverride.Parse(yaml));
        Assert.Equal(message, e.Message);
    }
}
