using Anvil.Client;
using Anvil.Toolforge.Accounts;

namespace Anvil.Cli;

/// <summary><c>anvil admin quotas apply -f FILE</c>: maintain-kubeusers' per-tool quota overrides, applied once per version.</summary>
internal static class QuotasCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] != "apply") return Program.Fail("admin quotas needs a subcommand: apply -f FILE");
        var (a, error) = AdminArgs.Parse(args[1..], "anvil admin quotas apply", ["-f", "--filename"], []);
        if (error != null) return Program.Fail(error);
        var file = a.Flag("-f") ?? a.Flag("--filename");
        if (file == null) return Program.Fail("anvil admin quotas apply needs -f FILE");
        if (a.Positionals.Count != 0) return Program.Fail("anvil admin quotas apply takes no arguments besides -f FILE");
        IReadOnlyList<QuotaOverride> overrides;
        try
        {
            overrides = QuotaOverride.Parse(file == "-" ? await Console.In.ReadToEndAsync().ConfigureAwait(false) : await File.ReadAllTextAsync(file).ConfigureAwait(false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Program.Fail($"cannot read {file}: {e.Message}");
        }
        catch (FormatException e)
        {
            return Program.Fail($"{file}: {e.Message}");
        }
        var failed = 0;
        try
        {
            using var client = a.Connect();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            // Overrides sit on top of the configured defaults (ConfigMap maintain-kubeusers/quota-defaults).
            var defaults = await ReadDefaultsAsync(client, cts.Token).ConfigureAwait(false);
            foreach (var o in overrides)
            {
                try
                {
                    await client.GetAsync(ToolforgeResources.Tools, "", o.Tool, cts.Token).ConfigureAwait(false);
                }
                catch (ApiException e) when (e.IsNotFound)
                {
                    Console.Error.WriteLine($"anvil: tool \"{o.Tool}\" not found");
                    failed++;
                    continue;
                }
                try
                {
                    var result = await QuotaOverrideApplier.ApplyAsync(client, o, defaults, cts.Token).ConfigureAwait(false);
                    Console.Out.WriteLine(result == QuotaOverrideResult.Applied
                        ? $"tool \"{o.Tool}\": quota override {o.Version} applied"
                        : $"tool \"{o.Tool}\": quota override {o.Version} already applied, unchanged");
                }
                catch (ApiException e) when (e.IsNotFound)
                {
                    Console.Error.WriteLine($"anvil: tool \"{o.Tool}\" has no quota yet (not provisioned): {e.Message}");
                    failed++;
                }
                catch (ApiException e)
                {
                    Console.Error.WriteLine($"anvil: tool \"{o.Tool}\": {e.Message}");
                    failed++;
                }
            }
        }
        catch (FormatException e)
        {
            return Program.Fail(e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return Program.Fail(e.Message);
        }
        return failed == 0 ? 0 : 1;
    }

    private static async Task<ToolQuotaDefaults> ReadDefaultsAsync(KubeClient client, CancellationToken ct)
    {
        try
        {
            return await ToolQuotaConfig.ReadAsync(client, ct).ConfigureAwait(false);
        }
        catch (FormatException e)
        {
            throw new FormatException($"configmap {ToolQuotaConfig.Namespace}/{ToolQuotaConfig.Name}: {e.Message}", e);
        }
    }
}
