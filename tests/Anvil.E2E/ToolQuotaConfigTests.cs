using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// The tool quota defaults as configuration: ConfigMap <c>maintain-kubeusers/quota-defaults</c>, seeded by
/// <c>anvil up</c>; editing it rewrites every tool's quota and LimitRange, with per-tool overrides kept on top.
/// Its own server: the test changes the defaults every tool there sees.
/// </summary>
public sealed class ToolQuotaConfigTests(ToolforgeServer server) : E2ETest(server), IClassFixture<ToolforgeServer>
{
    private readonly ToolforgeServer _tf = server;

    private const string Quota = "{.spec.hard.pods} {.spec.hard.limits\\.memory} {.spec.hard.requests\\.memory} {.spec.hard.secrets}";

    [Fact]
    public async Task ChangedDefaultsApplyToExistingToolsKeepingOverrides()
    {
        Assert.Contains("  pods: \"4\"\n", await JsonPathAsync("maintain-kubeusers", "configmap", "quota-defaults", "{.data.quota\\.yaml}"), StringComparison.Ordinal);
        foreach (var t in new[] { "plain", "special" })
        {
            (await _tf.AnvilAsync("admin", "tools", "create", t)).Succeeded();
            await EventuallyAsync($"{t}'s quota", async () =>
            {
                var r = await K("get", "resourcequota", "tool-" + t, "-n", "tool-" + t, "-o", "name");
                return (r.ExitCode == 0, r.ToString());
            }, TimeSpan.FromSeconds(60));
        }
        var file = Path.Combine(Kubectl.WorkDir, "overrides.yaml");
        await File.WriteAllTextAsync(file, "overrides:\n  special: {version: T1, memory: 16, pod_memory: 6}\n");
        (await _tf.AnvilAsync("admin", "quotas", "apply", "-f", file)).Succeeded();
        Assert.Equal("4 16Gi 8Gi 10", await JsonPathAsync("tool-special", "resourcequota", "tool-special", Quota));

        (await KWithInput("""
            data:
              quota.yaml: |
                hard:
                  pods: "6"
                  limits.memory: 10Gi
                  requests.memory: 7Gi
                container:
                  default: {cpu: 400m, memory: 512Mi}
            """, "patch", "configmap", "quota-defaults", "-n", "maintain-kubeusers", "--type=merge", "--patch-file=/dev/stdin")).Succeeded();

        await EventuallyAsync("plain follows the new defaults", async () =>
        {
            var q = await JsonPathAsync("tool-plain", "resourcequota", "tool-plain", Quota);
            var lr = await JsonPathAsync("tool-plain", "limitrange", "tool-plain", "{.spec.limits[0].default.cpu} {.spec.limits[0].max.memory}");
            return (q == "6 10Gi 7Gi " && lr == "400m 4Gi", q + " | " + lr);
        });
        await EventuallyAsync("special keeps its override on top", async () =>
        {
            var q = await JsonPathAsync("tool-special", "resourcequota", "tool-special", Quota + " {.metadata.annotations.toolforge\\.org/quota-version}");
            var lr = await JsonPathAsync("tool-special", "limitrange", "tool-special", "{.spec.limits[0].default.cpu} {.spec.limits[0].max.memory}");
            return (q == "6 16Gi 8Gi  T1" && lr == "400m 6Gi", q + " | " + lr);
        });
        // A new tool starts from the new defaults.
        (await _tf.AnvilAsync("admin", "tools", "create", "later")).Succeeded();
        await EventuallyAsync("later's quota", async () =>
        {
            var r = await K("get", "resourcequota", "tool-later", "-n", "tool-later", "-o", "jsonpath=" + Quota);
            return (r.Stdout == "6 10Gi 7Gi ", r.ToString());
        }, TimeSpan.FromSeconds(60));

        // Invalid defaults are refused with an event; what is in force stays.
        (await K("patch", "configmap", "quota-defaults", "-n", "maintain-kubeusers", "--type=merge", "-p", "{\"data\":{\"quota.yaml\":\"hard: {pods: lots}\\n\"}}")).Succeeded();
        await EventuallyAsync("the warning event", async () =>
        {
            var r = await K("get", "events", "-n", "maintain-kubeusers", "--field-selector", "reason=InvalidQuotaDefaults", "-o", "jsonpath={.items[0].type} {.items[0].message}");
            return (r.Stdout == "Warning quota.yaml: hard.pods: \"lots\" is not a quantity: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'; the previous defaults stay in force", r.ToString());
        });
        Assert.Equal("6 10Gi 7Gi ", await JsonPathAsync("tool-plain", "resourcequota", "tool-plain", Quota));
    }
}
