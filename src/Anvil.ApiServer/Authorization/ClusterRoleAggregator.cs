using System.Text.Json.Nodes;
using System.Threading.Channels;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Authorization;

/// <summary>
/// The clusterrole-aggregation controller (pkg/controller/clusterroleaggregation), run inside the API server:
/// a ClusterRole with <c>aggregationRule.clusterRoleSelectors</c> gets as its rules the union of the rules of
/// every other ClusterRole whose labels match a selector, in name order without duplicates. It reads the
/// <see cref="RbacAuthorizer"/>'s index and writes through the store; chains (view → edit → admin) settle
/// because each write changes the index and triggers another pass.
/// </summary>
public sealed class ClusterRoleAggregator(RbacAuthorizer index, ResourceStore store, ResourceCatalog catalog, ILogger? log = null)
{
    private static readonly UserInfo Controller = new("system:apiserver", [RbacAuthorizer.SystemMasters]);
    private readonly Channel<bool> _dirty = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Runs until <paramref name="ct"/> is cancelled, syncing whenever a ClusterRole changes.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        index.ClusterRolesChanged += MarkDirty;
        try
        {
            MarkDirty();
            while (await _dirty.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                _dirty.Reader.TryRead(out _);
                try
                {
                    await SyncAllAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log?.LogWarning(e, "clusterrole aggregation failed; retrying");
                    await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                    MarkDirty();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            index.ClusterRolesChanged -= MarkDirty;
        }
    }

    private void MarkDirty() => _dirty.Writer.TryWrite(true);

    /// <summary>One pass over every aggregated ClusterRole; writes only those whose rules differ.</summary>
    public async Task SyncAllAsync(CancellationToken ct)
    {
        var def = catalog.Find(RbacAuthorizer.Group, "v1", "clusterroles")!;
        var roles = index.ClusterRoles.ToList();
        foreach (var role in roles)
        {
            if (role.AggregationSelectors is not { } selectors) continue;
            var rules = Aggregate(role.Name, selectors, roles);
            if (rules.SequenceEqual(role.Rules)) continue;
            try
            {
                await store.GuaranteedUpdateAsync(def, "", role.Name, current =>
                {
                    current!["rules"] = new JsonArray(rules.Select(r => (JsonNode?)r.ToJson()).ToArray());
                    return current;
                }, new WriteOptions { FieldManager = "clusterrole-aggregation-controller", User = Controller },
                createIfMissing: false, hasPrecondition: false, ct).ConfigureAwait(false);
            }
            catch (StatusError e) when (e.Code == 404)
            {
                // Deleted meanwhile.
            }
        }
    }

    /// <summary>The union of the rules of the other roles matching any selector, roles taken in name order.</summary>
    public static List<PolicyRule> Aggregate(string name, IReadOnlyList<Anvil.Machinery.Selectors.LabelSelector> selectors, IEnumerable<RbacAuthorizer.ClusterRoleInfo> roles)
    {
        var result = new List<PolicyRule>();
        foreach (var other in roles.Where(r => r.Name != name && selectors.Any(s => s.Matches(r.Labels))).OrderBy(r => r.Name, StringComparer.Ordinal))
            foreach (var rule in other.Rules)
                if (!result.Contains(rule)) result.Add(rule);
        return result;
    }
}
