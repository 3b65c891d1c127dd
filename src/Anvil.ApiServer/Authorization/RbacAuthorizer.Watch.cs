using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Authorization;

public sealed partial class RbacAuthorizer
{
    public const string Group = "rbac.authorization.k8s.io";
    private static readonly string[] Watched = ["clusterroles", "roles", "clusterrolebindings", "rolebindings"];

    private readonly TaskCompletionSource[] _listed = Watched.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
    private readonly long[] _revisions = new long[Watched.Length];
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the first list of each of the four RBAC resources is in the index.</summary>
    public Task Synced => Task.WhenAll(_listed.Select(t => t.Task));

    /// <summary>
    /// Keeps the index current: lists each RBAC resource and watches it from there, relisting when the watch
    /// ends or its revision was compacted (410). Runs until <paramref name="ct"/> is cancelled.
    /// </summary>
    public Task RunAsync(ResourceStore store, ResourceCatalog catalog, CancellationToken ct) =>
        Task.WhenAll(Watched.Select((resource, i) =>
            ReflectAsync(store, catalog.Find(Group, "v1", resource) ?? throw new InvalidOperationException($"{resource}.{Group} is not served"), i, ct)));

    /// <summary>The newest store revision the index has seen for one of the four resources.</summary>
    public long ObservedRevision(string resource) => Volatile.Read(ref _revisions[Array.IndexOf(Watched, resource)]);

    /// <summary>Waits until the index has seen <paramref name="revision"/> of <paramref name="resource"/> (a write's resourceVersion).</summary>
    public async Task WaitForRevisionAsync(string resource, long revision, CancellationToken ct)
    {
        while (true)
        {
            var progress = Volatile.Read(ref _progress);
            if (ObservedRevision(resource) >= revision) return;
            await progress.Task.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task ReflectAsync(ResourceStore store, ResourceDefinition def, int index, CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var list = await store.ListAsync(def, "", new ListOptions(), ct).ConfigureAwait(false);
                lock (_writeGate) Replace(index, list.Items);
                if (index == 0) ClusterRolesChanged?.Invoke();
                Advance(index, list.ResourceVersion);
                _listed[index].TrySetResult();
                failures = 0;
                var events = await store.WatchAsync(def, "", new WatchOptions
                {
                    ResourceVersion = list.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
                }, ct).ConfigureAwait(false);
                await foreach (var e in events.WithCancellation(ct).ConfigureAwait(false))
                {
                    switch (e.Type)
                    {
                        case ApiWatchEvent.Added or ApiWatchEvent.Modified:
                            lock (_writeGate) Put(index, e.Object);
                            break;
                        case ApiWatchEvent.Deleted:
                            lock (_writeGate) Remove(index, ObjectMeta.Namespace(e.Object), ObjectMeta.Name(e.Object));
                            break;
                        default:
                            continue;
                    }
                    if (index == 0) ClusterRolesChanged?.Invoke();
                    Advance(index, e.Revision);
                }
                // The watch ended (fell behind): list again.
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (StatusError e) when (e.Code == 410)
            {
                Log?.LogInformation("rbac cache: watch of {Resource} expired, relisting", def.Resource);
            }
            catch (Exception e)
            {
                // Bounded backoff; the loop ends with the server.
                failures++;
                Log?.LogWarning(e, "rbac cache: list/watch of {Resource} failed (attempt {Attempt})", def.Resource, failures);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * failures)), ct).ConfigureAwait(false);
            }
        }
    }

    private void Advance(int index, long revision)
    {
        if (revision <= 0) return;
        if (revision > Volatile.Read(ref _revisions[index])) Volatile.Write(ref _revisions[index], revision);
        var done = Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        done.TrySetResult();
    }

    private void Put(int index, JsonObject obj)
    {
        switch (index)
        {
            case 0: PutClusterRole(obj); break;
            case 1: PutRole(obj); break;
            case 2: PutBinding(obj, cluster: true); break;
            default: PutBinding(obj, cluster: false); break;
        }
    }

    private void Remove(int index, string ns, string name)
    {
        switch (index)
        {
            case 0: _clusterRoles.TryRemove(name, out _); break;
            case 1: _roles.TryRemove((ns, name), out _); break;
            case 2: RemoveBinding("", name); break;
            default: RemoveBinding(ns, name); break;
        }
    }

    /// <summary>Makes one resource's part of the index equal a fresh list.</summary>
    private void Replace(int index, IReadOnlyList<JsonObject> items)
    {
        var keep = items.Select(o => (index == 2 ? "" : ObjectMeta.Namespace(o), ObjectMeta.Name(o))).ToHashSet();
        IEnumerable<(string, string)> current = index switch
        {
            0 => _clusterRoles.Keys.Select(n => ("", n)),
            1 => _roles.Keys.Select(k => (k.Namespace, k.Name)),
            2 => _bindings.Keys.Where(k => k.Namespace.Length == 0).Select(k => (k.Namespace, k.Name)),
            _ => _bindings.Keys.Where(k => k.Namespace.Length > 0).Select(k => (k.Namespace, k.Name)),
        };
        foreach (var (ns, name) in current.ToList())
            if (!keep.Contains((ns, name))) Remove(index, ns, name);
        foreach (var o in items) Put(index, o);
    }
}
