using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;

namespace Anvil.Toolforge.Accounts;

/// <summary>
/// What <c>anvil up</c> installs through the API before the tool-accounts controller starts: the tools/users CRDs
/// (waiting until they are served), Toolforge's ClusterRoles, and the namespace <c>maintain-kubeusers</c> with the
/// quota defaults ConfigMap (created only when missing: an admin's edits survive restarts). Idempotent: existing
/// CRDs and roles are updated in place.
/// </summary>
public static class ToolforgeBootstrap
{
    public static async Task InstallAsync(KubeClient admin, CancellationToken ct)
    {
        foreach (var crd in new[] { ToolforgeCrds.Tool(), ToolforgeCrds.User() })
            await CreateOrUpdateAsync(admin, ResourceRef.CustomResourceDefinitions, crd, ct).ConfigureAwait(false);
        foreach (var role in ToolforgeRoles.Roles())
            await CreateOrUpdateAsync(admin, ToolforgeResources.ClusterRoles, role, ct).ConfigureAwait(false);
        await CreateIfMissingAsync(admin, ToolforgeResources.Namespaces, "", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = ToolQuotaConfig.Namespace },
        }, ct).ConfigureAwait(false);
        await CreateIfMissingAsync(admin, ToolforgeResources.ConfigMaps, ToolQuotaConfig.Namespace, ToolQuotaConfig.ConfigMap(ToolQuotaDefaults.Standard), ct).ConfigureAwait(false);
        foreach (var r in new[] { ToolforgeResources.Tools, ToolforgeResources.Users })
            await WaitServedAsync(admin, r, ct).ConfigureAwait(false);
    }

    private static async Task CreateIfMissingAsync(KubeClient client, ResourceRef r, string ns, JsonObject obj, CancellationToken ct)
    {
        try
        {
            await client.CreateAsync(r, ns, obj, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
        }
    }

    private static async Task CreateOrUpdateAsync(KubeClient client, ResourceRef r, JsonObject obj, CancellationToken ct)
    {
        try
        {
            await client.CreateAsync(r, "", obj, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
            var name = ObjectMeta.Name(obj);
            for (var attempt = 0; ; attempt++)
            {
                var current = await client.GetAsync(r, "", name, ct).ConfigureAwait(false);
                ObjectMeta.Of(obj)["resourceVersion"] = ObjectMeta.ResourceVersion(current);
                try
                {
                    await client.UpdateAsync(r, "", name, obj, ct: ct).ConfigureAwait(false);
                    return;
                }
                catch (ApiException c) when (c.IsConflict && attempt < 5)
                {
                }
            }
        }
    }

    /// <summary>A new CRD is served a moment after it is stored; bounded at 30 s.</summary>
    private static async Task WaitServedAsync(KubeClient client, ResourceRef r, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await client.ListAsync(r, "", "limit=1", ct).ConfigureAwait(false);
                return;
            }
            catch (ApiException e) when (e.IsNotFound && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
    }
}
