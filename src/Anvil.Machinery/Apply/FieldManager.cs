using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;

namespace Anvil.Machinery.Apply;

/// <summary>
/// Server-side apply and <c>metadata.managedFields</c> tracking for one resource (and optionally one subresource),
/// after k8s.io/apiserver's fieldmanager over sigs.k8s.io/structured-merge-diff:
/// <see cref="Update"/> records who changed what on create/update/patch; <see cref="Apply"/> merges an applied
/// configuration, prunes what the applier stopped specifying, and reports conflicts as Kubernetes does.
/// Stateless apart from its configuration; safe to share.
/// </summary>
public sealed class FieldManager
{
    /// <summary>Update managers beyond this many are merged, oldest first, into "ancient-changes".</summary>
    public const int DefaultMaxUpdateManagers = 10;

    /// <summary>Fields never recorded in managedFields (fieldmanager's stripMeta).</summary>
    private static readonly FieldSet StripSet = FieldSet.Of(
        "apiVersion", "kind", "metadata", "metadata.name", "metadata.namespace", "metadata.creationTimestamp",
        "metadata.selfLink", "metadata.uid", "metadata.clusterName", "metadata.generation", "metadata.managedFields",
        "metadata.resourceVersion");

    private const string BeforeFirstApply = "before-first-apply";
    private const string AncientChanges = "ancient-changes";

    private JsonObject? _zeroTemplate;

    public GroupVersionKind Kind { get; }
    public SchemaNode Schema { get; }
    /// <summary>Fields this endpoint resets (e.g. <c>status</c> for the main resource): never owned, never conflicting.</summary>
    public FieldSet ResetFields { get; }
    /// <summary>"" for the main resource, e.g. "status" or "scale" for a subresource.</summary>
    public string Subresource { get; }
    public int MaxUpdateManagers { get; init; } = DefaultMaxUpdateManagers;

    public FieldManager(GroupVersionKind kind, SchemaNode schema, IEnumerable<string>? resetFields = null, string subresource = "")
    {
        Kind = kind;
        Schema = schema;
        ResetFields = new FieldSet((resetFields ?? []).Select(FieldPath.ParseDotted));
        Subresource = subresource;
    }

    private string ApiVersion => Kind.ApiVersion;

    // ---- Update ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Records a non-apply write: the fields this request added or changed become <paramref name="manager"/>'s
    /// (operation Update), taken from other managers without conflict. Returns a copy of <paramref name="newObj"/>
    /// with <c>metadata.managedFields</c> set. <paramref name="liveObj"/> is null on create.
    /// Managed fields sent in <paramref name="newObj"/> replace the live ones (main resource only); <c>[{}]</c> clears them.
    /// </summary>
    public JsonObject Update(JsonObject? liveObj, JsonObject newObj, string manager, DateTimeOffset now)
    {
        var result = (JsonObject)newObj.DeepClone();
        UpdateInPlace(liveObj, result, manager, now);
        return result;
    }

    /// <summary>
    /// <see cref="Update"/> on <paramref name="obj"/> itself: only its <c>metadata.managedFields</c> change (what the
    /// registry needs; no copy of the object).
    /// </summary>
    public void UpdateInPlace(JsonObject? liveObj, JsonObject obj, string manager, DateTimeOffset now)
    {
        var managed = DecodeLiveOrNew(liveObj, obj, ignoreNew: Subresource.Length > 0);
        RemoveManagedFields(obj);
        // A create compares against the zero object, which this only reads.
        var live = liveObj == null ? ZeroTemplate : WithZeroStructs((JsonObject)liveObj.DeepClone());
        if (liveObj != null) RemoveManagedFields(live);

        // An existing object without managed fields stays untracked until the next apply (skipNonApplied).
        if (managed.Count == 0 && !string.IsNullOrEmpty((string?)live["metadata"]?["uid"]))
            return;

        // Compare only reads: the object itself serves when it lacks none of the zero structs.
        var updated = LacksZeroStructs(obj) ? WithZeroStructs((JsonObject)obj.DeepClone()) : obj;
        UpdateManaged(live, updated, managed, ManagerName(manager), now);
        CapUpdateManagers(managed);
        SetManagedFields(obj, managed);
    }

    private void UpdateManaged(JsonObject live, JsonObject updated, ManagedFields managed, string manager, DateTimeOffset now)
    {
        var cmp = TypedOperations.Compare(live, updated, Schema).ExcludeFields(ResetFields);
        var changed = cmp.Modified.IsEmpty ? cmp.Added : cmp.Modified.Union(cmp.Added);
        foreach (var (id, entry) in managed.Pairs.ToList())
        {
            var rest = entry.Fields.Difference(changed).Difference(cmp.Removed);
            if (rest.IsEmpty) managed.Remove(id);
            else managed.SetAt(id, entry with { Fields = rest });
        }
        // Each step copies the whole set, so the ones that would remove nothing (a create removes nothing; most kinds
        // reset nothing) are skipped.
        var own = changed;
        if (!cmp.Removed.IsEmpty) own = own.Difference(cmp.Removed);
        if (!ResetFields.IsEmpty) own = own.RecursiveDifference(ResetFields);
        own = own.Difference(StripSet);
        if (own.IsEmpty) return;
        var identifier = ManagedFieldsEntry.BuildIdentifier(manager, ManagedFieldsEntry.OperationUpdate, ApiVersion, SubresourceOrNull);
        var previous = managed.Get(identifier);
        managed.SetAt(identifier, new ManagedFieldsEntry(manager, ManagedFieldsEntry.OperationUpdate, ApiVersion, now,
            SubresourceOrNull, previous == null ? own : own.Union(previous.Fields)));
    }

    private string? SubresourceOrNull => Subresource.Length == 0 ? null : Subresource;

    private static string ManagerName(string manager) => manager.Length == 0 ? "unknown" : manager;

    private static ManagedFields DecodeLiveOrNew(JsonObject? liveObj, JsonObject newObj, bool ignoreNew)
    {
        var liveFields = liveObj?["metadata"]?["managedFields"];
        if (ignoreNew) return ManagedFields.DecodeOrEmpty(liveFields);
        var newFields = newObj["metadata"]?["managedFields"];
        if (IsResetManagedFields(newFields)) return new ManagedFields();
        try
        {
            var decoded = ManagedFields.Decode(newFields);
            if (decoded.Count > 0) return decoded;
        }
        catch (FormatException)
        {
            // Clients that do not understand managedFields must not lose them: fall back to the live ones.
        }
        return ManagedFields.DecodeOrEmpty(liveFields);
    }

    /// <summary>An empty list, or a list of one empty entry, asks to clear managedFields.</summary>
    private static bool IsResetManagedFields(JsonNode? node) =>
        node is JsonArray { Count: 0 } || node is JsonArray { Count: 1 } a && a[0] is JsonObject { Count: 0 };

    private void CapUpdateManagers(ManagedFields managed)
    {
        var updaters = managed.Pairs.Where(p => !p.Value.Applied).ToList();
        if (updaters.Count <= MaxUpdateManagers) return;
        updaters.Sort((a, b) =>
        {
            var c = (a.Value.Time?.ToUnixTimeSeconds() ?? 0).CompareTo(b.Value.Time?.ToUnixTimeSeconds() ?? 0);
            return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
        });
        var firstByVersion = new Dictionary<string, string>(StringComparer.Ordinal);
        var length = updaters.Count;
        for (var i = 0; i < updaters.Count && length > MaxUpdateManagers; i++)
        {
            var (id, entry) = updaters[i];
            var version = entry.ApiVersion;
            var bucket = ManagedFieldsEntry.BuildIdentifier(AncientChanges, ManagedFieldsEntry.OperationUpdate, version, null);
            if (firstByVersion.TryGetValue(version, out var first))
            {
                var bucketEntry = managed.Get(bucket);
                if (bucketEntry == null)
                {
                    var firstEntry = managed.Get(first)!;
                    managed.Remove(first);
                    bucketEntry = firstEntry with { Manager = AncientChanges, Subresource = null };
                }
                managed.Remove(id);
                managed.SetAt(bucket, bucketEntry with { Fields = entry.Fields.Union(bucketEntry.Fields), Time = entry.Time });
                length--;
            }
            else firstByVersion[version] = id;
        }
    }

    // ---- Apply -----------------------------------------------------------------------------------------------

    /// <summary>
    /// Server-side apply of <paramref name="appliedObj"/> by <paramref name="manager"/> onto <paramref name="liveObj"/>
    /// (null to create). Returns the new object with <c>metadata.managedFields</c> set. Throws <see cref="StatusError"/>:
    /// 409 Conflict with FieldManagerConflict causes when another manager owns a field the config changes and
    /// <paramref name="force"/> is false; 400 BadRequest for an invalid applied object.
    /// </summary>
    public JsonObject Apply(JsonObject? liveObj, JsonObject appliedObj, string manager, bool force, DateTimeOffset now)
    {
        var appliedGvk = GroupVersionKind.FromApiVersion((string?)appliedObj["apiVersion"] ?? "", (string?)appliedObj["kind"] ?? "");
        if (appliedGvk != Kind)
            throw StatusError.BadRequest($"invalid object type: {GoGvk(appliedGvk)}");
        if (appliedObj["metadata"] is JsonObject appliedMeta && appliedMeta.TryGetPropertyValue("managedFields", out var mf) && mf != null)
            throw StatusError.BadRequest("metadata.managedFields must be nil");

        var live = liveObj == null ? ZeroObject() : WithZeroStructs((JsonObject)liveObj.DeepClone());
        var managed = ManagedFields.DecodeOrEmpty(live["metadata"]?["managedFields"]);
        RemoveManagedFields(live);
        var config = (JsonObject)appliedObj.DeepClone();
        RemoveManagedFields(config);

        // Fields of an object nobody tracked yet belong to "before-first-apply", so the applier cannot silently take them.
        if (managed.Count == 0)
            UpdateManaged(ZeroTemplate, live, managed, BeforeFirstApply, now);

        var errors = new List<string>();
        var configSet = TypedOperations.ToFieldSet(config, Schema, errors);
        if (errors.Count > 0)
        {
            var meta = config["metadata"];
            var detail = errors.Count == 1 ? errors[0] : "errors:\n" + string.Join("\n", errors.Select(e => "  " + e));
            throw StatusError.BadRequest(
                $"failed to create typed patch object ({(string?)meta?["namespace"]}/{(string?)meta?["name"]}; {GoGvk(appliedGvk)}): {detail}");
        }

        var merged = (JsonObject?)TypedOperations.Merge(live, config, Schema) ?? new JsonObject();
        var identifier = ManagedFieldsEntry.BuildIdentifier(ManagerName(manager), ManagedFieldsEntry.OperationApply, ApiVersion, SubresourceOrNull);
        var lastEntry = managed.Get(identifier);
        var set = configSet.RecursiveDifference(ResetFields);
        managed.SetAt(identifier, new ManagedFieldsEntry(ManagerName(manager), ManagedFieldsEntry.OperationApply, ApiVersion,
            lastEntry?.Time, SubresourceOrNull, set));
        var pruned = Prune(merged, managed, lastEntry?.Fields);

        // Other managers lose what this apply changed (a conflict unless forced) and what it removed.
        var cmp = TypedOperations.Compare(live, pruned, Schema).ExcludeFields(ResetFields);
        var changed = cmp.Modified.Union(cmp.Added);
        var conflicts = new List<(string Id, ManagedFieldsEntry Entry, FieldSet Set)>();
        foreach (var (id, entry) in managed.Pairs)
        {
            if (id == identifier) continue;
            var c = entry.Fields.Intersection(changed);
            if (!c.IsEmpty) conflicts.Add((id, entry, c));
        }
        if (!force && conflicts.Count > 0) throw ConflictError(conflicts);
        foreach (var (id, entry) in managed.Pairs.ToList())
        {
            if (id == identifier) continue;
            var rest = entry.Fields.Difference(changed).Difference(cmp.Removed);
            if (rest.IsEmpty) managed.Remove(id);
            else managed.SetAt(id, entry with { Fields = rest });
        }

        var own = managed.Get(identifier)!;
        var stripped = own.Fields.Difference(StripSet);
        if (stripped.IsEmpty) managed.Remove(identifier);

        JsonObject result;
        if (JsonValues.ValueEquals(live, pruned))
        {
            result = live;
            if (!stripped.IsEmpty) managed.SetAt(identifier, own with { Fields = stripped });
        }
        else
        {
            result = pruned;
            if (!stripped.IsEmpty) managed.SetAt(identifier, own with { Fields = stripped, Time = now });
        }
        TypedOperations.DropNullFields(result, Schema);
        if (liveObj == null) result = TypeMetaFirst(result);
        SetManagedFields(result, managed);
        return result;
    }

    /// <summary>
    /// Removes what the applier owned last time and no longer applies, unless another manager (or the new config)
    /// owns it, and only what the applier did own (SMD's prune with addBackOwnedItems and addBackDanglingItems).
    /// </summary>
    private JsonObject Prune(JsonObject merged, ManagedFields managed, FieldSet? lastSet)
    {
        if (lastSet == null || lastSet.IsEmpty) return merged;
        FieldSet Ensure(FieldSet s) => TypedOperations.EnsureNamedFieldsAreMembers(s, Schema);
        JsonObject Remove(FieldSet s) => (JsonObject?)TypedOperations.RemoveItems(merged, s, Schema) ?? new JsonObject();

        var last = Ensure(lastSet);
        var pruned = Remove(last);

        var owned = managed.Entries.Aggregate(new FieldSet(), (acc, e) => acc.Union(e.Fields));
        var mergedSet = Ensure(TypedOperations.ToFieldSet(merged, Schema));
        var prunedSet = Ensure(TypedOperations.ToFieldSet(pruned, Schema));
        pruned = Remove(mergedSet.Difference(prunedSet.Union(Ensure(owned))));

        prunedSet = Ensure(TypedOperations.ToFieldSet(pruned, Schema));
        return Remove(mergedSet.Difference(prunedSet).Intersection(last));
    }

    private static StatusError ConflictError(List<(string Id, ManagedFieldsEntry Entry, FieldSet Set)> conflicts)
    {
        // Upstream keys conflicts by manager identifier and prints them sorted by it.
        conflicts.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        var flat = conflicts.SelectMany(c => c.Set.Paths().Select(p => (c.Entry, Path: p))).ToList();
        var causes = flat.Select(c => new StatusCause("FieldManagerConflict", $"conflict with {c.Entry.DisplayName}", c.Path.ToString())).ToList();
        string message;
        if (flat.Count == 1)
            message = $"Apply failed with 1 conflict: conflict with {flat[0].Entry.DisplayName}: {flat[0].Path}";
        else
        {
            var lines = new List<string>();
            foreach (var c in conflicts)
            {
                lines.Add($"conflicts with {c.Entry.DisplayName}:");
                lines.AddRange(c.Set.Paths().Select(p => $"- {p}"));
            }
            message = $"Apply failed with {flat.Count} conflicts: {string.Join("\n", lines)}";
        }
        return new StatusError(409, "Conflict", message) { Causes = causes };
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /// <summary>Go's GroupVersionKind.String(): "apps/v1, Kind=Deployment", "/v1, Kind=ConfigMap".</summary>
    private static string GoGvk(GroupVersionKind gvk) => $"{gvk.Group}/{gvk.Version}, Kind={gvk.Kind}";

    private static void RemoveManagedFields(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta) meta.Remove("managedFields");
    }

    private static void SetManagedFields(JsonObject obj, ManagedFields managed)
    {
        var encoded = managed.Encode();
        if (obj["metadata"] is not JsonObject meta)
        {
            if (encoded == null) return;
            obj["metadata"] = meta = new JsonObject();
        }
        if (encoded == null) meta.Remove("managedFields");
        else meta["managedFields"] = encoded;
    }

    /// <summary>
    /// What the apiserver compares a create against: the kind's zero value as Go would serialize it. Only the
    /// granular parts matter (they decide whether a struct, map or list gets its own "." entry), so this holds the
    /// always-present structs of the common kinds and PodSpec's non-omitempty containers list.
    /// </summary>
    private JsonObject ZeroObject()
    {
        var obj = new JsonObject();
        if (Schema.Property("metadata") != null) obj["metadata"] = new JsonObject();
        if (Schema.Property("spec") is { Kind: SchemaKind.Object } spec) obj["spec"] = ZeroStruct(spec);
        if (Schema.Property("status") is { Kind: SchemaKind.Object }) obj["status"] = new JsonObject();
        if (Schema.Property("template") is { Kind: SchemaKind.Object } template) obj["template"] = ZeroStruct(template);
        return obj;
    }

    /// <summary><see cref="ZeroObject"/> made once, for reading only (shared by concurrent requests: never modify it).</summary>
    private JsonObject ZeroTemplate
    {
        get
        {
            if (_zeroTemplate is { } z) return z;
            z = ZeroObject();
            Touch(z); // materialise every node now so that concurrent readers never initialise one
            return _zeroTemplate = z;

            static void Touch(JsonNode? n)
            {
                if (n is not JsonObject o) return;
                foreach (var (_, v) in o) Touch(v);
            }
        }
    }

    /// <summary>Whether <see cref="WithZeroStructs"/> would add anything to <paramref name="obj"/>.</summary>
    private bool LacksZeroStructs(JsonObject obj)
    {
        return Lacks(obj, ZeroTemplate);

        static bool Lacks(JsonObject target, JsonObject zero)
        {
            foreach (var (key, zeroValue) in zero)
            {
                if (!target.TryGetPropertyValue(key, out var existing)) return true;
                if (existing is JsonObject t && zeroValue is JsonObject z && Lacks(t, z)) return true;
            }
            return false;
        }
    }

    /// <summary>
    /// The object as Go would hold it: always-present structs filled in where absent, so a stored JSON document
    /// that omits e.g. <c>status</c> compares as the apiserver's typed object would.
    /// </summary>
    private JsonObject WithZeroStructs(JsonObject obj)
    {
        Fill(obj, ZeroTemplate);
        return obj;

        static void Fill(JsonObject target, JsonObject zero)
        {
            foreach (var (key, zeroValue) in zero)
            {
                if (!target.TryGetPropertyValue(key, out var existing)) target[key] = zeroValue?.DeepClone();
                else if (existing is JsonObject t && zeroValue is JsonObject z) Fill(t, z);
            }
        }
    }

    /// <summary>A created object lists apiVersion, kind and metadata first, as the apiserver writes them.</summary>
    private static JsonObject TypeMetaFirst(JsonObject obj)
    {
        var ordered = new JsonObject();
        foreach (var key in new[] { "apiVersion", "kind", "metadata" })
            if (obj.Remove(key, out var v)) ordered[key] = v;
        foreach (var (key, v) in obj.ToList())
        {
            obj.Remove(key);
            ordered[key] = v;
        }
        return ordered;
    }

    private static JsonObject ZeroStruct(SchemaNode node)
    {
        var obj = new JsonObject();
        var name = node.DefinitionName ?? "";
        var shortName = name[(name.LastIndexOf('.') + 1)..];
        void Struct(string field)
        {
            if (node.Property(field) is { Kind: SchemaKind.Object } child) obj[field] = ZeroStruct(child);
        }
        switch (shortName)
        {
            case "PodTemplateSpec": Struct("metadata"); Struct("spec"); break;
            case "PodSpec": obj["containers"] = null; break;
            case "DeploymentSpec": Struct("template"); Struct("strategy"); break;
            case "DaemonSetSpec":
            case "StatefulSetSpec": Struct("template"); Struct("updateStrategy"); break;
            case "ReplicaSetSpec":
            case "JobSpec": Struct("template"); break;
            case "CronJobSpec": Struct("jobTemplate"); break;
            case "JobTemplateSpec": Struct("metadata"); Struct("spec"); break;
        }
        return obj;
    }
}
