using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;

namespace Anvil.Controllers.Endpoints;

/// <summary>Which pods a Service selects, for the controllers that keep its Endpoints and EndpointSlices.</summary>
internal static class ServiceSelectors
{
    /// <summary>The service's selector as a set-based selector; null when it has none (those get no endpoints from us).</summary>
    public static LabelSelector? Selector(JsonObject svc)
    {
        if (svc["spec"]?["selector"] is not JsonObject sel || sel.Count == 0) return null;
        return LabelSelector.FromSet(sel.ToDictionary(p => p.Key, p => (string?)p.Value ?? ""));
    }

    /// <summary>Keys of the services (from <paramref name="services"/>) in the pod's namespace whose selector matches it.</summary>
    public static IEnumerable<string> KeysSelecting(Informer services, JsonObject pod)
    {
        var ns = ObjectMeta.Namespace(pod);
        foreach (var svc in services.List())
            if (ObjectMeta.Namespace(svc) == ns && Selector(svc) is { } s && s.Matches(ObjectMeta.Labels(pod)))
                yield return Informer.KeyOf(svc);
    }

    /// <summary>
    /// Enqueues a service on its own changes and on changes of the pods it selects (before and after a label
    /// change), the event wiring both controllers share.
    /// </summary>
    public static void EnqueueOnChanges(Informer services, Informer pods, WorkQueue<string> queue)
    {
        void Pod(JsonObject p)
        {
            foreach (var key in KeysSelecting(services, p)) queue.Add(key);
        }
        services.Added += s => queue.Add(Informer.KeyOf(s));
        services.Updated += (_, s) => queue.Add(Informer.KeyOf(s));
        services.Deleted += s => queue.Add(Informer.KeyOf(s));
        pods.Added += Pod;
        pods.Updated += (old, cur) =>
        {
            Pod(cur);
            if (!JsonNode.DeepEquals(ObjectMeta.Labels(old), ObjectMeta.Labels(cur))) Pod(old);
        };
        pods.Deleted += Pod;
    }
}
