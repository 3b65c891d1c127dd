using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Schema;

namespace Anvil.Machinery.Patches;

/// <summary>
/// Strategic merge patch (<c>application/strategic-merge-patch+json</c>), server side, patch format v2:
/// the semantics of k8s.io/apimachinery/pkg/util/strategicpatch's StrategicMergeMapPatch, driven by
/// <see cref="SchemaNode"/>'s x-kubernetes-patch-strategy / x-kubernetes-patch-merge-key.
/// <list type="bullet">
/// <item>null deletes a member; maps merge recursively; a list without strategy "merge" is replaced.</item>
/// <item>Lists of objects with strategy merge merge by the merge key; lists of scalars are a set union.
/// Order follows upstream: items named by the patch keep the patch's order and are interleaved with
/// server-only items by their server positions (a brand-new item lands before the remaining server-only
/// items); <c>$setElementOrder/&lt;field&gt;</c> overrides the patch's order.</item>
/// <item>Directives: <c>$patch</c> (replace, delete; merge is rejected as upstream rejects it),
/// <c>$retainKeys</c>, <c>$deleteFromPrimitiveList/&lt;field&gt;</c>, <c>$setElementOrder/&lt;field&gt;</c>.
/// Directive members never reach the result: values added where the original had nothing are
/// themselves applied as patches to nothing (upstream copies them raw and lets typed decoding drop them).</item>
/// <item>Where the schema is unknown (null, preserve-unknown-fields) maps merge like JSON merge patch
/// (directives still honoured) and lists are replaced.</item>
/// </list>
/// Errors are the Status kube-apiserver returns (interpretStrategicMergePatchError): 400 BadRequest for
/// malformed directive lists, 422 for lists of lists, and for everything else the plain Go error, which
/// the apiserver sends as code 500 with an empty reason (e.g. <c>map: map[image:nginx] does not contain
/// declared merge key: name</c>).
/// </summary>
public static class StrategicMergePatch
{
    private const string Directive = "$patch";
    private const string RetainKeys = "$retainKeys";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList";
    private const string SetElementOrderPrefix = "$setElementOrder";

    /// <summary>Applies <paramref name="patch"/> to a copy of <paramref name="original"/>; the inputs are not modified.</summary>
    public static JsonObject Apply(JsonObject original, JsonObject patch, SchemaNode? schema) =>
        MergeMap((JsonObject)original.DeepClone(), patch, schema);

    /// <summary>Merges <paramref name="patch"/> (read only) into <paramref name="original"/> (owned, mutated).</summary>
    private static JsonObject MergeMap(JsonObject original, JsonObject patch, SchemaNode? schema)
    {
        if (patch.TryGetPropertyValue(Directive, out var directive))
        {
            if (IsString(directive, "replace"))
            {
                var without = new JsonObject();
                foreach (var (k, v) in patch)
                    if (k != Directive) without[k] = v?.DeepClone();
                return CleanMap(without, schema);
            }
            if (IsString(directive, "delete")) return [];
            throw PatchErrors.Unknown($"unknown patch type: {GoFormat.AsS(directive)} in map: {GoFormat.Value(patch)}");
        }

        ApplyRetainKeys(original, patch);
        var consumed = MergeSetElementOrder(original, patch, schema);

        foreach (var (rawKey, value) in patch)
        {
            if (rawKey == RetainKeys || rawKey.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal) || consumed.Contains(rawKey))
                continue;
            var key = rawKey;
            var isDeleteList = false;
            if (rawKey.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
            {
                key = ExtractKey(rawKey, DeleteFromPrimitiveListPrefix);
                isDeleteList = true;
            }
            if (value is null)
            {
                original.Remove(key);
                continue;
            }
            var field = Child(schema, key);
            if (!original.TryGetPropertyValue(key, out var current))
            {
                // Nothing to delete from; upstream would store the deletion list itself.
                if (!isDeleteList) original[key] = Clean(value, field);
                continue;
            }
            if (isDeleteList)
            {
                if (current is not JsonArray currentList || value is not JsonArray toDelete)
                    throw StatusError.BadRequest("invalid patch format of primitive list");
                original[key] = new JsonArray([.. DeleteFromSlice(Detach(currentList), toDelete)]);
                continue;
            }
            switch (current, value)
            {
                case (JsonObject currentMap, JsonObject patchMap):
                    var (_, strategy) = Strategies(field);
                    var merged = strategy == "replace" ? CleanMap(patchMap, field) : MergeMap(currentMap, patchMap, field);
                    if (!ReferenceEquals(merged, currentMap)) original[key] = merged;
                    break;
                case (JsonArray currentList, JsonArray patchList):
                    original[key] = new JsonArray([.. MergeListField(Detach(currentList), patchList, field)]);
                    break;
                default:
                    original[key] = Clean(value, field);
                    break;
            }
        }
        return original;
    }

    /// <summary>mergeSliceHandler: merge when the field's strategy is merge, else take the patch.</summary>
    private static List<JsonNode?> MergeListField(List<JsonNode?> current, JsonArray patch, SchemaNode? field)
    {
        var (_, strategy) = Strategies(field);
        if (strategy != "merge") return CleanItems(patch, field);
        return MergeSlice(current, patch, field?.Items, field?.PatchMergeKey ?? "");
    }

    private static List<JsonNode?> MergeSlice(List<JsonNode?> original, JsonArray patch, SchemaNode? items, string mergeKey)
    {
        if (original.Count == 0 && patch.Count == 0) return original;
        var kind = ElementKind(original, [.. patch]);
        List<JsonNode?> merged;
        List<JsonNode?> patchItems;
        if (kind != PatchErrors.MapType)
        {
            patchItems = [.. patch.Select(p => p?.DeepClone())];
            merged = DeduplicateScalars([.. original, .. patchItems]);
        }
        else
        {
            if (mergeKey.Length == 0) throw PatchErrors.Unknown("cannot merge lists without merge key for struct");
            (original, var withoutSpecial, var replace) = MergeSliceWithSpecialElements(original, patch, mergeKey);
            if (replace)
            {
                original = [.. withoutSpecial.Select(p => (JsonNode?)CleanMap(p, items))];
                patchItems = [];
                merged = original;
            }
            else
            {
                patchItems = [.. withoutSpecial];
                merged = MergeSliceWithoutSpecialElements(original, withoutSpecial, mergeKey, items);
            }
        }
        var (inPatch, serverOnly) = Partition(merged, patchItems, kind == PatchErrors.MapType ? mergeKey : "");
        return NormalizeElementOrder(inPatch, serverOnly, patchItems, original, mergeKey, kind);
    }

    private static (List<JsonNode?> Original, List<JsonObject> Patch, bool Replace) MergeSliceWithSpecialElements(
        List<JsonNode?> original, JsonArray patch, string mergeKey)
    {
        var without = new List<JsonObject>();
        var replace = false;
        foreach (var item in patch)
        {
            var map = (JsonObject)item!;
            if (!map.TryGetPropertyValue(Directive, out var directive))
            {
                without.Add(map);
                continue;
            }
            if (IsString(directive, "delete"))
            {
                if (!map.TryGetPropertyValue(mergeKey, out var keyValue)) throw PatchErrors.NoMergeKey(map, mergeKey);
                original = [.. original.Where(o => !(o is JsonObject om && om.TryGetPropertyValue(mergeKey, out var v) && GoEquals(v, keyValue)))];
            }
            else if (IsString(directive, "replace"))
            {
                replace = true; // keep going so other directive items are pruned too
            }
            else if (IsString(directive, "merge"))
            {
                throw PatchErrors.Unknown("merging lists cannot yet be specified in the patch");
            }
            else
            {
                throw PatchErrors.Unknown($"unknown patch type: {GoFormat.AsS(directive)} in map: {GoFormat.Value(map)}");
            }
        }
        return (original, without, replace);
    }

    private static List<JsonNode?> MergeSliceWithoutSpecialElements(List<JsonNode?> original, List<JsonObject> patch, string mergeKey, SchemaNode? items)
    {
        var result = new List<JsonNode?>(original);
        foreach (var item in patch)
        {
            if (!item.TryGetPropertyValue(mergeKey, out var keyValue)) throw PatchErrors.NoMergeKey(item, mergeKey);
            var index = result.FindIndex(o => o is JsonObject om && om.TryGetPropertyValue(mergeKey, out var v) && GoEquals(v, keyValue));
            if (index >= 0) result[index] = MergeMap((JsonObject)result[index]!, item, items);
            else result.Add(CleanMap(item, items));
        }
        return result;
    }

    /// <summary>Splits <paramref name="items"/> into those present in <paramref name="by"/> and the rest (server-only).</summary>
    private static (List<JsonNode?> InList, List<JsonNode?> Others) Partition(List<JsonNode?> items, List<JsonNode?> by, string mergeKey)
    {
        var inList = new List<JsonNode?>();
        var rest = new List<JsonNode?>();
        foreach (var item in items)
        {
            bool found;
            if (mergeKey.Length == 0)
            {
                found = by.Any(b => GoEquals(b, item));
            }
            else
            {
                if (item is not JsonObject map) throw PatchErrors.BadArgType(PatchErrors.MapType, item);
                if (!map.TryGetPropertyValue(mergeKey, out var keyValue)) throw PatchErrors.NoMergeKey(map, mergeKey);
                found = false;
                for (var i = 0; i < by.Count && !found; i++)
                {
                    if (by[i] is not JsonObject b) throw PatchErrors.Unknown($"value for key {i} is not a map.");
                    found = b.TryGetPropertyValue(mergeKey, out var v) && GoEquals(v, keyValue);
                }
            }
            (found ? inList : rest).Add(item);
        }
        return (inList, rest);
    }

    /// <summary>
    /// Sorts patch items by the patch (or $setElementOrder) order and server-only items by the server order,
    /// then interleaves them: a server-only item goes first only when both are in the server list and it
    /// comes earlier there.
    /// </summary>
    private static List<JsonNode?> NormalizeElementOrder(List<JsonNode?> patchItems, List<JsonNode?> serverOnly,
        List<JsonNode?> patchOrder, List<JsonNode?> serverOrder, string mergeKey, string kind)
    {
        var patchSorted = NormalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
        var serverSorted = NormalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
        var result = new List<JsonNode?>(patchSorted.Count + serverSorted.Count);
        int i = 0, j = 0;
        while (i < serverSorted.Count || j < patchSorted.Count)
        {
            if (i >= serverSorted.Count) result.Add(patchSorted[j++]);
            else if (j >= patchSorted.Count) result.Add(serverSorted[i++]);
            else
            {
                var li = IndexOf(serverOrder, serverSorted[i], mergeKey, kind);
                var ri = IndexOf(serverOrder, patchSorted[j], mergeKey, kind);
                if (li >= 0 && ri >= 0 && li < ri) result.Add(serverSorted[i++]);
                else result.Add(patchSorted[j++]);
            }
        }
        return result;
    }

    private static List<JsonNode?> NormalizeSliceOrder(List<JsonNode?> toSort, List<JsonNode?> order, string mergeKey, string kind)
    {
        var toDelete = new List<JsonNode?>();
        if (kind == PatchErrors.MapType)
        {
            foreach (var item in toSort.Concat(order))
            {
                if (item is not JsonObject map) throw PatchErrors.BadArgType(PatchErrors.MapType, item);
                if (!map.ContainsKey(mergeKey)) throw PatchErrors.NoMergeKey(map, mergeKey);
            }
            toDelete = [.. toSort.Where(IsDeleteDirective)];
            toSort = [.. toSort.Where(x => !IsDeleteDirective(x))];
        }
        // Stable: items not found in the order keep their relative position ahead of the others.
        var sorted = toSort.Select((item, pos) => (item, pos, idx: IndexOf(order, item, mergeKey, kind)))
            .OrderBy(t => t.idx).ThenBy(t => t.pos).Select(t => t.item).ToList();
        sorted.AddRange(toDelete);
        return sorted;
    }

    private static bool IsDeleteDirective(JsonNode? item) =>
        item is JsonObject o && o.TryGetPropertyValue(Directive, out var d) && IsString(d, "delete");

    private static int IndexOf(List<JsonNode?> list, JsonNode? item, string mergeKey, string kind)
    {
        var wanted = KeyOf(item, mergeKey, kind);
        for (var i = 0; i < list.Count; i++)
            if (GoEquals(wanted, KeyOf(list[i], mergeKey, kind))) return i;
        return -1;
    }

    private static JsonNode? KeyOf(JsonNode? item, string mergeKey, string kind) =>
        kind != PatchErrors.MapType ? item : item is JsonObject o && o.TryGetPropertyValue(mergeKey, out var v) ? v : null;

    /// <summary>$retainKeys: members of the original not listed are cleared; patch members must be listed.</summary>
    private static void ApplyRetainKeys(JsonObject original, JsonObject patch)
    {
        if (!patch.TryGetPropertyValue(RetainKeys, out var retain)) return;
        if (retain is not JsonArray list) throw StatusError.BadRequest("invalid patch format of retainKeys");
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var k in list)
            if (k is JsonValue s && s.GetValueKind() == JsonValueKind.String) keep.Add(s.GetValue<string>());
        foreach (var (k, v) in patch)
        {
            if (k == RetainKeys || v is null || k.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal)
                || k.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
                continue;
            if (!keep.Contains(k)) throw StatusError.BadRequest("invalid patch format of retainKeys");
        }
        foreach (var k in original.Select(p => p.Key).ToList())
            if (!keep.Contains(k)) original.Remove(k);
    }

    /// <summary>
    /// Handles every <c>$setElementOrder/&lt;field&gt;</c>: merges the field's list (if the patch has it) and
    /// orders the result. Returns the patch keys it consumed.
    /// </summary>
    private static HashSet<string> MergeSetElementOrder(JsonObject original, JsonObject patch, SchemaNode? schema)
    {
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in patch)
        {
            if (!key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal)) continue;
            if (value is not JsonArray orderArray) throw PatchErrors.BadArgType(PatchErrors.SliceType, value);
            var field = ExtractKey(key, SetElementOrderPrefix);
            var foundOriginal = original.TryGetPropertyValue(field, out var originalValue);
            var foundPatch = patch.TryGetPropertyValue(field, out var patchValue);
            if (foundOriginal && originalValue is not JsonArray) throw PatchErrors.BadArgType(PatchErrors.SliceType, originalValue);
            if (foundPatch && patchValue is not JsonArray) throw PatchErrors.BadArgType(PatchErrors.SliceType, patchValue);
            var originalList = originalValue as JsonArray;
            var patchList = patchValue as JsonArray;
            var fieldSchema = Child(schema, field);
            var mergeKey = fieldSchema?.PatchMergeKey ?? "";
            var order = orderArray.ToList();
            ValidatePatchWithSetOrderList(patchList, order, mergeKey);

            var serverOrder = originalList?.ToList() ?? [];
            List<JsonNode?> merged;
            if (foundOriginal && !foundPatch) merged = Detach(originalList!);
            else if (!foundOriginal && foundPatch) merged = CleanItems(patchList!, fieldSchema);
            else if (foundOriginal && foundPatch) merged = MergeListField(Detach(originalList!), patchList!, fieldSchema);
            else continue;
            consumed.Add(field);

            var (inOrder, serverOnly) = Partition(merged, order, mergeKey);
            var kind = serverOrder.Count + (patchList?.Count ?? 0) == 0
                ? (mergeKey.Length == 0 ? "" : PatchErrors.MapType)
                : ElementKind(serverOrder, patchList?.ToList() ?? []);
            original[field] = new JsonArray([.. NormalizeElementOrder(inOrder, serverOnly, order, serverOrder, mergeKey, kind)]);
        }
        return consumed;
    }

    /// <summary>The patch list's items (deletions aside) must appear in the $setElementOrder list in the same relative order.</summary>
    private static void ValidatePatchWithSetOrderList(JsonArray? patchList, List<JsonNode?> order, string mergeKey)
    {
        if (patchList is null || patchList.Count == 0 || order.Count == 0) return;
        var nonDelete = new List<JsonNode?>();
        foreach (var item in patchList)
        {
            if (mergeKey.Length > 0)
            {
                if (item is not JsonObject) throw PatchErrors.BadArgType(PatchErrors.MapType, item);
                if (IsDeleteDirective(item)) continue;
            }
            nonDelete.Add(item);
        }
        int p = 0, s = 0;
        while (p < nonDelete.Count && s < order.Count)
        {
            if (nonDelete[p] is JsonObject o && o.ContainsKey(Directive))
            {
                p++;
                continue;
            }
            if (MergeKeyValueEqual(nonDelete[p], order[s], mergeKey)) p++;
            s++;
        }
        if (p < nonDelete.Count)
            throw PatchErrors.Unknown($"The order in patch list:\n{GoFormat.Value(patchList)}\n doesn't match {SetElementOrderPrefix} list:\n{GoFormat.Value(new JsonArray([.. order.Select(x => x?.DeepClone())]))}\n");
    }

    private static bool MergeKeyValueEqual(JsonNode? left, JsonNode? right, string mergeKey)
    {
        if (mergeKey.Length == 0) return GoEquals(left, right);
        if (left is not JsonObject l) throw PatchErrors.BadArgType(PatchErrors.MapType, left);
        if (right is not JsonObject r) throw PatchErrors.BadArgType(PatchErrors.MapType, right);
        if (!l.TryGetPropertyValue(mergeKey, out var lv)) throw PatchErrors.NoMergeKey(l, mergeKey);
        if (!r.TryGetPropertyValue(mergeKey, out var rv)) throw PatchErrors.NoMergeKey(r, mergeKey);
        return GoEquals(lv, rv);
    }

    private static string ExtractKey(string key, string prefix)
    {
        var slash = key.IndexOf('/');
        if (slash < 0 || key[..slash] != prefix)
            throw StatusError.BadRequest(prefix == DeleteFromPrimitiveListPrefix
                ? "invalid patch format of primitive list"
                : "invalid patch format of setElementOrder list");
        return key[(slash + 1)..];
    }

    /// <summary>Go's type of the list elements (all must agree); lists of lists are refused with 422.</summary>
    private static string ElementKind(List<JsonNode?> original, List<JsonNode?> patch)
    {
        string? kind = null;
        foreach (var item in original.Concat(patch))
        {
            var t = item is null ? "nil" : GoFormat.TypeName(item);
            if (kind is null)
            {
                kind = t;
                if (kind == PatchErrors.SliceType) throw PatchErrors.Unprocessable(); // "lists of lists are not supported"
            }
            else if (kind != t)
            {
                throw PatchErrors.Unknown($"list element types are not identical: [{GoFormat.Value(new JsonArray([.. original.Select(x => x?.DeepClone())]))} {GoFormat.Value(new JsonArray([.. patch.Select(x => x?.DeepClone())]))}]");
            }
        }
        return kind ?? throw PatchErrors.Unknown("no elements in any of the given slices");
    }

    /// <summary>upstream's deduplicateScalars, including its reordering (later fixed by NormalizeElementOrder).</summary>
    private static List<JsonNode?> DeduplicateScalars(List<JsonNode?> s)
    {
        var length = s.Count - 1;
        for (var i = 0; i < length; i++)
        {
            for (var j = i + 1; j <= length; j++)
            {
                if (GoEquals(s[i], s[j]))
                {
                    s[j] = s[length];
                    s.RemoveAt(length);
                    length--;
                    j--;
                }
            }
        }
        return s;
    }

    private static List<JsonNode?> DeleteFromSlice(List<JsonNode?> current, JsonArray toDelete) =>
        [.. current.Where(c => !toDelete.Any(d => GoEquals(c, d)))];

    /// <summary>A value added where the original had nothing, with directives applied against nothing.</summary>
    private static JsonNode? Clean(JsonNode? value, SchemaNode? schema) => value switch
    {
        JsonObject map => CleanMap(map, schema),
        JsonArray list => new JsonArray([.. CleanItems(list, schema)]),
        _ => value?.DeepClone(),
    };

    private static JsonObject CleanMap(JsonObject map, SchemaNode? schema) => MergeMap([], map, schema);

    private static List<JsonNode?> CleanItems(JsonArray list, SchemaNode? field)
    {
        var result = new List<JsonNode?>(list.Count);
        foreach (var item in list)
        {
            if (item is JsonObject o && o.ContainsKey(Directive)) continue;
            result.Add(Clean(item, field?.Items));
        }
        return result;
    }

    /// <summary>Takes the items out of <paramref name="list"/> so they can be placed in a new array.</summary>
    private static List<JsonNode?> Detach(JsonArray list)
    {
        var items = list.ToList();
        list.Clear();
        return items;
    }

    private static SchemaNode? Child(SchemaNode? schema, string key) => schema?.Kind switch
    {
        SchemaKind.Object => schema.Property(key),
        SchemaKind.Map => schema.AdditionalProperties,
        _ => null,
    };

    /// <summary>extractRetainKeysPatchStrategy: whether retainKeys is set, and the other strategy.</summary>
    private static (bool RetainKeys, string Strategy) Strategies(SchemaNode? field)
    {
        if (string.IsNullOrEmpty(field?.PatchStrategy)) return (false, "");
        var parts = field.PatchStrategy.Split(',');
        switch (parts.Length)
        {
            case 1: return parts[0] == "retainKeys" ? (true, "") : (false, parts[0]);
            case 2:
                if (parts[0] == "retainKeys") return (true, parts[1]);
                if (parts[1] == "retainKeys") return (true, parts[0]);
                break;
        }
        throw PatchErrors.Unknown($"unexpected patch strategy: [{string.Join(' ', parts)}]");
    }

    private static bool IsString(JsonNode? node, string value) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == value;

    /// <summary>Go's == on decoded JSON scalars: same dynamic type (int64, float64, string, bool) and value.</summary>
    private static bool GoEquals(JsonNode? a, JsonNode? b) =>
        a is null || b is null ? a is null && b is null : GoFormat.TypeName(a) == GoFormat.TypeName(b) && JsonCompare.DeepEquals(a, b);
}
