using System.Text.Json.Nodes;
using Anvil.ApiServer.OpenApi;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.CustomResources;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;
using Anvil.Machinery.Tables;
using Anvil.Storage;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.CustomResources;

/// <summary>
/// Serves custom resources (apiextensions-apiserver's part of the API server): follows the stored CRDs,
/// adds a resource to the catalog per served version, publishes its OpenAPI, reports NamesAccepted and
/// Established, and on CRD deletion removes every custom resource before letting the CRD go.
/// </summary>
public sealed class CustomResourceManager(
    ResourceCatalog catalog, ResourceStore store, OpenApiService openApi, SchemaRegistry schemas, ILogger log)
{
    private const string Group = "apiextensions.k8s.io";
    private readonly Dictionary<string, List<(string Group, string Version, string Resource)>> _served = new();
    // OpenAPI documents per group/version path, one part per CRD, merged when published.
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _documents = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the CRDs stored at start are served.</summary>
    public Task Synced => _synced.Task;

    private ResourceDefinition CrdResource => catalog.Find(Group, "v1", "customresourcedefinitions")!;

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var list = await store.ListAsync(CrdResource, "", new ListOptions(), ct).ConfigureAwait(false);
                foreach (var crd in list.Items) await ApplyAsync(crd, ct).ConfigureAwait(false);
                var known = list.Items.Select(ObjectMeta.Name).ToHashSet();
                foreach (var gone in _served.Keys.Where(k => !known.Contains(k)).ToList()) Remove(gone);
                _synced.TrySetResult();
                var events = await store.WatchAsync(CrdResource, "", new WatchOptions { ResourceVersion = list.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) }, ct).ConfigureAwait(false);
                await foreach (var ev in events.WithCancellation(ct).ConfigureAwait(false))
                {
                    if (ev.Type == ApiWatchEvent.Deleted) Remove(ObjectMeta.Name(ev.Object));
                    else if (ev.Type is ApiWatchEvent.Added or ApiWatchEvent.Modified) await ApplyAsync(ev.Object, ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is StatusError or CompactedException or IOException)
            {
                log.LogWarning("custom-resources error={Error}; relisting", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            }
        }
    }

    private async Task ApplyAsync(JsonObject crd, CancellationToken ct)
    {
        var name = ObjectMeta.Name(crd);
        if (ObjectMeta.IsDeleting(crd))
        {
            await CleanUpAsync(crd, ct).ConfigureAwait(false);
            return;
        }
        var definitions = Build(crd);
        var keys = definitions.Select(d => (d.Group, d.Version, d.Resource)).ToList();
        if (_served.TryGetValue(name, out var previous))
            catalog.RemoveWhere(d => previous.Contains((d.Group, d.Version, d.Resource)) && !keys.Contains((d.Group, d.Version, d.Resource)));
        catalog.AddRange(definitions);
        _served[name] = keys;
        var group = (string?)crd["spec"]?["group"] ?? "";
        var apiV1 = openApi.Document("api/v1");
        var core = apiV1 == null ? new JsonObject() : Anvil.Machinery.Serialization.KubeJson.ParseObject(apiV1);
        foreach (var parts in _documents.Values) parts.Remove(name);
        foreach (var d in definitions)
        {
            var path = $"apis/{group}/{d.Version}";
            if (!_documents.TryGetValue(path, out var parts)) _documents[path] = parts = new();
            parts[name] = CrdOpenApi.BuildDocument(crd, d.Version, core);
        }
        foreach (var path in _documents.Keys.ToList()) Publish(path);
        await MarkEstablishedAsync(crd, ct).ConfigureAwait(false);
    }

    /// <summary>One definition per served version with a schema.</summary>
    private List<ResourceDefinition> Build(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject ?? new JsonObject();
        var names = spec["names"] as JsonObject ?? new JsonObject();
        var group = (string?)spec["group"] ?? "";
        var kind = (string?)names["kind"] ?? "";
        var plural = (string?)names["plural"] ?? "";
        var namespaced = (string?)spec["scope"] != "Cluster";
        var objectMeta = schemas.Definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta") ?? SchemaNode.AnyValue;
        var result = new List<ResourceDefinition>();
        foreach (var v in (spec["versions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (v["served"] is JsonValue served && served.TryGetValue<bool>(out var s) && !s) continue;
            var version = (string?)v["name"] ?? "";
            var raw = v["schema"]?["openAPIV3Schema"] as JsonObject ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
            var schema = new CustomResourceSchema(raw, group, version, kind, namespaced, objectMeta);
            var subresources = v["subresources"] as JsonObject;
            var hasStatus = subresources?["status"] != null;
            var subs = new List<SubresourceDefinition>();
            if (hasStatus) subs.Add(new("status", group, version, kind, ["get", "patch", "update"]));
            if (subresources?["scale"] != null) subs.Add(new("scale", "autoscaling", "v1", "Scale", ["get", "patch", "update"]));
            var node = schema.ToSchemaNode();
            schemas.SetKind(new GroupVersionKind(group, version, kind), node);
            result.Add(new ResourceDefinition
            {
                Group = group,
                Version = version,
                Resource = plural,
                Kind = kind,
                Singular = (string?)names["singular"] is { Length: > 0 } singular ? singular : kind.ToLowerInvariant(),
                Namespaced = namespaced,
                ShortNames = Strings(names["shortNames"]),
                Categories = Strings(names["categories"]),
                Subresources = subs,
                Strategy = new CustomResourceStrategy(schema, hasStatus),
                Printer = TablePrinters.FromPrinterColumns(v["additionalPrinterColumns"] as JsonArray),
                FieldSelectors = Anvil.Machinery.Selectors.FieldSelectorFields.For(group, kind),
                Schema = node,
                IsCustom = true,
            });
        }
        return result;
    }

    private static IReadOnlyList<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(n => (string?)n).OfType<string>().ToList();

    private async Task MarkEstablishedAsync(JsonObject crd, CancellationToken ct)
    {
        var conditions = crd["status"]?["conditions"] as JsonArray;
        bool Has(string type) => conditions?.OfType<JsonObject>().Any(c => (string?)c["type"] == type && (string?)c["status"] == "True") == true;
        var names = crd["spec"]?["names"];
        if (Has("NamesAccepted") && Has("Established") && JsonNode.DeepEquals(crd["status"]?["acceptedNames"], names)) return;
        try
        {
            await store.GuaranteedUpdateAsync(CrdResource, "", ObjectMeta.Name(crd), current =>
            {
                var status = current!["status"] as JsonObject ?? new JsonObject();
                current["status"] = status;
                status["acceptedNames"] = current["spec"]?["names"]?.DeepClone();
                var list = new JsonArray();
                var now = ObjectMeta.FormatTime(DateTimeOffset.UtcNow);
                list.Add(Condition("NamesAccepted", "NoConflicts", "no conflicts found", now));
                list.Add(Condition("Established", "InitialNamesAccepted", "the initial names have been accepted", now));
                status["conditions"] = list;
                return current;
            }, new WriteOptions { Subresource = "status", FieldManager = "kube-apiserver", User = new Authentication.UserInfo("system:apiserver", ["system:masters"]) },
                createIfMissing: false, hasPrecondition: false, ct).ConfigureAwait(false);
        }
        catch (StatusError e) when (e.Code == 404)
        {
        }
    }

    private static JsonObject Condition(string type, string reason, string message, string now) => new()
    {
        ["type"] = type,
        ["status"] = "True",
        ["lastTransitionTime"] = now,
        ["reason"] = reason,
        ["message"] = message,
    };

    /// <summary>Deletes every object of the CRD's resource, then marks the cleanup done so the CRD is removed.</summary>
    private async Task CleanUpAsync(JsonObject crd, CancellationToken ct)
    {
        var name = ObjectMeta.Name(crd);
        if (_served.TryGetValue(name, out var keys))
        {
            foreach (var key in keys.Take(1))
            {
                var def = catalog.Find(key.Group, key.Version, key.Resource);
                if (def == null) continue;
                var list = await store.ListAsync(def, "", new ListOptions(), ct).ConfigureAwait(false);
                foreach (var item in list.Items)
                {
                    try
                    {
                        await store.Storage.DeleteAsync(def.Key(ObjectMeta.Namespace(item), ObjectMeta.Name(item)), 0, ct).ConfigureAwait(false);
                    }
                    catch (KeyNotFoundException)
                    {
                    }
                }
            }
        }
        Remove(name);
        try
        {
            await store.GuaranteedUpdateAsync(CrdResource, "", name, current =>
            {
                var status = current!["status"] as JsonObject ?? new JsonObject();
                current["status"] = status;
                var conditions = (status["conditions"] as JsonArray ?? []).OfType<JsonObject>().Where(c => (string?)c["type"] != "Terminating")
                    .Select(c => (JsonNode?)c.DeepClone()).ToList();
                conditions.Add(new JsonObject
                {
                    ["type"] = "Terminating",
                    ["status"] = "False",
                    ["lastTransitionTime"] = ObjectMeta.FormatTime(DateTimeOffset.UtcNow),
                    ["reason"] = "InstanceDeletionCompleted",
                    ["message"] = "removed all instances",
                });
                status["conditions"] = new JsonArray(conditions.ToArray());
                return current;
            }, new WriteOptions { Subresource = "status", FieldManager = "kube-apiserver", User = new Authentication.UserInfo("system:apiserver", ["system:masters"]) },
                createIfMissing: false, hasPrecondition: false, ct).ConfigureAwait(false);
        }
        catch (StatusError e) when (e.Code == 404)
        {
        }
    }

    private void Remove(string crdName)
    {
        if (!_served.Remove(crdName, out var keys)) return;
        catalog.RemoveWhere(d => keys.Contains((d.Group, d.Version, d.Resource)));
        foreach (var parts in _documents.Values) parts.Remove(crdName);
        foreach (var path in _documents.Keys.ToList()) Publish(path);
    }

    /// <summary>Publishes the merged document of a group/version (schemas and paths of all its CRDs), or removes it.</summary>
    private void Publish(string path)
    {
        var parts = _documents[path];
        if (parts.Count == 0)
        {
            _documents.Remove(path);
            openApi.SetCustomDocument(path, null);
            return;
        }
        var merged = (JsonObject)parts.Values.First().DeepClone();
        var schemasNode = merged["components"]?["schemas"] as JsonObject;
        var paths = merged["paths"] as JsonObject;
        foreach (var part in parts.Values.Skip(1))
        {
            foreach (var (k, v) in part["components"]?["schemas"] as JsonObject ?? []) if (schemasNode != null) schemasNode[k] = v?.DeepClone();
            foreach (var (k, v) in part["paths"] as JsonObject ?? []) if (paths != null) paths[k] = v?.DeepClone();
        }
        openApi.SetCustomDocument(path, merged);
    }
}
