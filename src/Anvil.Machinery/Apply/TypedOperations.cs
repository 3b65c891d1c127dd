using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Machinery.Schema;

namespace Anvil.Machinery.Apply;

/// <summary>
/// Schema-aware walks over JSON objects, after structured-merge-diff's typed package: the field set of a value,
/// the comparison of two values, the apply merge, and removal of items. "Absent" and "present but null" are
/// different states throughout, as in SMD.
/// </summary>
internal static class TypedOperations
{
    // ---- list items ------------------------------------------------------------------------------------------

    /// <summary>The path element of a list item, or null with <paramref name="error"/> set.</summary>
    public static PathElement? ItemPathElement(SchemaAtom list, JsonNode? item, int index, out string? error)
    {
        error = null;
        if (list.Relation == ListRelation.Map && list.Keys.Count > 0)
        {
            if (item == null) { error = "associative list with keys may not have a null element"; return null; }
            if (item is not JsonObject obj) { error = "associative list with keys may not have non-map elements"; return null; }
            var fields = new List<KeyValuePair<string, JsonNode?>>();
            foreach (var key in list.Keys)
            {
                if (obj.TryGetPropertyValue(key, out var v)) fields.Add(new(key, v));
                else if (list.Element?.Property(key)?.Default is { } def) fields.Add(new(key, def));
                else
                {
                    error = $"associative list with keys has an element that omits key field {JsonValues.GoQuote(key)} (and doesn't have default value)";
                    return null;
                }
            }
            return PathElement.ForKey(fields);
        }
        if (list.Relation is ListRelation.Set or ListRelation.Map)
        {
            switch (item)
            {
                case JsonObject: error = "associative list without keys has an element that's a map type"; return null;
                case JsonArray: error = "not supported: associative list with lists as elements"; return null;
                case null: error = "associative list without keys has an element that's an explicit null"; return null;
                default: return PathElement.ForValue(item);
            }
        }
        return PathElement.ForIndex(index);
    }

    private static string PathString(List<PathElement> path) => string.Concat(path.Select(p => p.ToString()));

    private static void AddError(List<string>? errors, List<PathElement> path, string message)
    {
        if (errors == null) return;
        errors.Add(path.Count == 0 ? message : $"{PathString(path)}: {message}");
    }

    // ---- ToFieldSet ------------------------------------------------------------------------------------------

    /// <summary>
    /// Every leaf field and list/map item the value mentions (SMD ToFieldSet). With <paramref name="errors"/>,
    /// also reports what SMD's validation reports for applied objects (missing keys, duplicates).
    /// </summary>
    public static FieldSet ToFieldSet(JsonNode? value, SchemaNode? schema, List<string>? errors = null)
    {
        var set = new FieldSet();
        ToFieldSet(value, schema, new List<PathElement>(), set, errors);
        return set;
    }

    private static void ToFieldSet(JsonNode? value, SchemaNode? schema, List<PathElement> path, FieldSet set, List<string>? errors)
    {
        var atom = SchemaAtom.Resolve(schema, value);
        if (atom.Kind == AtomKind.Scalar || atom.Atomic)
        {
            set.Insert(path);
            return;
        }
        if (atom.Kind == AtomKind.List)
        {
            if (value is not JsonArray list) return;
            var seen = new HashSet<PathElement>();
            for (var i = 0; i < list.Count; i++)
            {
                var pe = ItemPathElement(atom, list[i], i, out var error);
                if (pe == null)
                {
                    AddError(errors, path, $"element {i.ToString(CultureInfo.InvariantCulture)}: {error}");
                    continue;
                }
                if (!seen.Add(pe)) AddError(errors, path, $"duplicate entries for key {pe}");
                path.Add(pe);
                ToFieldSet(list[i], atom.Element, path, set, errors);
                set.Insert(path);
                path.RemoveAt(path.Count - 1);
            }
            return;
        }
        if (value is not JsonObject obj) return;
        foreach (var (key, child) in obj)
        {
            path.Add(PathElement.Field(key));
            ToFieldSet(child, atom.FieldType(key), path, set, errors);
            if (!atom.HasField(key)) set.Insert(path);
            path.RemoveAt(path.Count - 1);
        }
    }

    // ---- Compare ---------------------------------------------------------------------------------------------

    public static Comparison Compare(JsonNode? lhs, JsonNode? rhs, SchemaNode? schema)
    {
        var c = new Comparison();
        Compare(lhs, true, rhs, true, schema, new List<PathElement>(), c);
        return c;
    }

    private static bool IsEmptyOrNull(JsonNode? n, bool present) =>
        !present || n == null || n is JsonArray { Count: 0 } || n is JsonObject { Count: 0 } || n is JsonValue;

    private static void Compare(JsonNode? l, bool lp, JsonNode? r, bool rp, SchemaNode? schema, List<PathElement> path, Comparison c)
    {
        var sample = lp && l != null ? l : r;
        var atom = SchemaAtom.Resolve(schema, sample);
        if (SchemaAtom.IsDeduced(schema) && lp && rp && l != null && r != null && SchemaAtom.Resolve(schema, r).Kind != atom.Kind)
            atom = atom with { Kind = AtomKind.Scalar };
        if (atom.IsLeaf || IsEmptyOrNull(l, lp) && IsEmptyOrNull(r, rp))
        {
            if (!lp) c.Added.Insert(path);
            else if (!rp) c.Removed.Insert(path);
            else if (!JsonValues.ValueEquals(l, r)) c.Modified.Insert(path);
            return;
        }
        if (atom.Kind == AtomKind.List) CompareListItems(atom, l as JsonArray, r as JsonArray, path, c);
        else
        {
            var lo = l as JsonObject;
            var ro = r as JsonObject;
            // Left's keys in order, then right's that left lacks (nothing here modifies either object).
            if (lo != null)
            {
                foreach (var (key, lv) in lo)
                {
                    JsonNode? rv = null;
                    var rkp = ro != null && ro.TryGetPropertyValue(key, out rv);
                    path.Add(PathElement.Field(key));
                    Compare(lv, true, rv, rkp, atom.FieldType(key), path, c);
                    path.RemoveAt(path.Count - 1);
                }
            }
            if (ro != null)
            {
                foreach (var (key, rv) in ro)
                {
                    if (lo != null && lo.ContainsKey(key)) continue;
                    path.Add(PathElement.Field(key));
                    Compare(null, false, rv, true, atom.FieldType(key), path, c);
                    path.RemoveAt(path.Count - 1);
                }
            }
        }
        if (!lp) c.Added.Insert(path);
        else if (!rp) c.Removed.Insert(path);
    }

    private static void CompareListItems(SchemaAtom atom, JsonArray? lhs, JsonArray? rhs, List<PathElement> path, Comparison c)
    {
        var order = new List<PathElement>();
        var lValues = new Dictionary<PathElement, List<JsonNode?>>();
        var rValues = new Dictionary<PathElement, List<JsonNode?>>();
        void Index(JsonArray? list, Dictionary<PathElement, List<JsonNode?>> into, Dictionary<PathElement, List<JsonNode?>>? other)
        {
            if (list == null) return;
            for (var i = 0; i < list.Count; i++)
            {
                var pe = ItemPathElement(atom, list[i], i, out _);
                if (pe == null) continue;
                if (into.TryGetValue(pe, out var existing)) existing.Add(list[i]);
                else
                {
                    into[pe] = [list[i]];
                    if (other == null || !other.ContainsKey(pe)) order.Add(pe);
                }
            }
        }
        Index(lhs, lValues, null);
        Index(rhs, rValues, lValues);
        foreach (var pe in order)
        {
            var lList = lValues.GetValueOrDefault(pe) ?? [];
            var rList = rValues.GetValueOrDefault(pe) ?? [];
            path.Add(pe);
            if (lList.Count <= 1 && rList.Count <= 1)
                Compare(lList.FirstOrDefault(), lList.Count == 1, rList.FirstOrDefault(), rList.Count == 1, atom.Element, path, c);
            else if (lList.Count >= 2 && rList.Count >= 2)
            {
                if (lList.Count != rList.Count || lList.Zip(rList).Any(p => !JsonValues.ValueEquals(p.First, p.Second))) c.Modified.Insert(path);
            }
            else if (lList.Count >= 2)
            {
                if (rList.Count != 0) Compare(null, false, rList[0], true, atom.Element, path, c);
                c.Removed.Insert(path);
            }
            else
            {
                if (lList.Count != 0) Compare(lList[0], true, null, false, atom.Element, path, c);
                c.Added.Insert(path);
            }
            path.RemoveAt(path.Count - 1);
        }
    }

    // ---- Merge -----------------------------------------------------------------------------------------------

    /// <summary>The apply merge: <paramref name="rhs"/>'s leaves win, maps and map-lists merge, atomic values are replaced.</summary>
    public static JsonNode? Merge(JsonNode? lhs, JsonNode? rhs, SchemaNode? schema) =>
        Merge(lhs, true, rhs, true, schema, out _);

    private static JsonNode? Merge(JsonNode? l, bool lp, JsonNode? r, bool rp, SchemaNode? schema, out bool present)
    {
        present = lp || rp;
        var sample = rp && r != null ? r : l;
        var atom = SchemaAtom.Resolve(schema, sample);
        if (lp && rp && l != null && r != null && SchemaAtom.Resolve(schema, l).Kind != atom.Kind)
            atom = atom with { Kind = AtomKind.Scalar };
        if (atom.IsLeaf || IsEmptyOrNull(l, lp) && IsEmptyOrNull(r, rp))
            return rp ? JsonValues.Clone(r) : JsonValues.Clone(l);
        if (atom.Kind == AtomKind.List) return MergeListItems(atom, l as JsonArray, r as JsonArray);
        var lo = l as JsonObject;
        var ro = r as JsonObject;
        var result = new JsonObject();
        if (lo != null)
        {
            foreach (var (key, lv) in lo)
            {
                JsonNode? rv = null;
                var rkp = ro != null && ro.TryGetPropertyValue(key, out rv);
                var merged = Merge(lv, true, rv, rkp, atom.FieldType(key), out var childPresent);
                if (childPresent) result[key] = merged;
            }
        }
        if (ro != null)
        {
            foreach (var (key, rv) in ro)
            {
                if (lo != null && lo.ContainsKey(key)) continue;
                var merged = Merge(null, false, rv, true, atom.FieldType(key), out var childPresent);
                if (childPresent) result[key] = merged;
            }
        }
        return result;
    }

    private static JsonArray MergeListItems(SchemaAtom atom, JsonArray? lhs, JsonArray? rhs)
    {
        List<(PathElement Pe, JsonNode? Value)> Index(JsonArray? list)
        {
            var result = new List<(PathElement, JsonNode?)>();
            if (list == null) return result;
            for (var i = 0; i < list.Count; i++)
            {
                var pe = ItemPathElement(atom, list[i], i, out _);
                if (pe != null) result.Add((pe, list[i]));
            }
            return result;
        }
        var lItems = Index(lhs);
        var rItems = Index(rhs);
        var lByPe = new Dictionary<PathElement, JsonNode?>();
        foreach (var (pe, v) in lItems) lByPe.TryAdd(pe, v);
        var rByPe = new Dictionary<PathElement, JsonNode?>();
        foreach (var (pe, v) in rItems) rByPe.TryAdd(pe, v);

        // The order SMD produces: rhs order for items both sides have, lhs-only items kept in place.
        var shared = new Queue<PathElement>(rItems.Select(i => i.Pe).Where(lByPe.ContainsKey));
        var nextShared = shared.Count > 0 ? shared.Dequeue() : null;
        var mergedRhs = new HashSet<PathElement>();
        var output = new JsonArray();
        void Emit(PathElement pe, bool withLhs, bool withRhs)
        {
            JsonNode? lv = null, rv = null;
            var lpresent = withLhs && lByPe.TryGetValue(pe, out lv);
            var rpresent = withRhs && rByPe.TryGetValue(pe, out rv);
            var merged = Merge(lv, lpresent, rv, rpresent, atom.Element, out var present);
            if (present) output.Add(merged);
        }
        int li = 0, ri = 0;
        while (li < lItems.Count || ri < rItems.Count)
        {
            if (li < lItems.Count && ri < rItems.Count)
            {
                var pe = lItems[li].Pe;
                if (pe.Equals(rItems[ri].Pe))
                {
                    mergedRhs.Add(pe);
                    Emit(pe, true, true);
                    li++; ri++;
                    nextShared = shared.Count > 0 ? shared.Dequeue() : null;
                    continue;
                }
                if (rByPe.ContainsKey(pe) && nextShared != null && !nextShared.Equals(pe))
                {
                    li++;
                    continue;
                }
            }
            if (li < lItems.Count)
            {
                var pe = lItems[li].Pe;
                if (!rByPe.ContainsKey(pe))
                {
                    Emit(pe, true, false);
                    li++;
                    continue;
                }
                if (mergedRhs.Contains(pe))
                {
                    li++;
                    continue;
                }
            }
            if (ri < rItems.Count)
            {
                var pe = rItems[ri].Pe;
                mergedRhs.Add(pe);
                Emit(pe, true, true);
                ri++;
                if (nextShared != null && nextShared.Equals(pe))
                    nextShared = shared.Count > 0 ? shared.Dequeue() : null;
            }
        }
        return output;
    }

    // ---- RemoveItems -----------------------------------------------------------------------------------------

    /// <summary>The value without the fields and items in <paramref name="toRemove"/> (SMD RemoveItems).</summary>
    public static JsonNode? RemoveItems(JsonNode? value, FieldSet toRemove, SchemaNode? schema)
    {
        var atom = SchemaAtom.Resolve(schema, value);
        if (atom.Kind == AtomKind.Scalar) return JsonValues.Clone(value);
        if (atom.Kind == AtomKind.List)
        {
            if (value is not JsonArray list || list.Count == 0 || atom.Atomic) return null;
            var items = new JsonArray();
            for (var i = 0; i < list.Count; i++)
            {
                var item = list[i];
                var pe = ItemPathElement(atom, item, i, out _);
                if (pe == null) { items.Add(JsonValues.Clone(item)); continue; }
                if (toRemove.HasMember(pe)) continue;
                var sub = toRemove.WithPrefix(pe);
                items.Add(sub.IsEmpty ? JsonValues.Clone(item) : RemoveItems(item, sub, atom.Element));
            }
            return items.Count > 0 ? items : null;
        }
        if (value is not JsonObject obj || obj.Count == 0 || atom.Atomic) return null;
        var result = new JsonObject();
        foreach (var (key, child) in obj)
        {
            var pe = PathElement.Field(key);
            if (toRemove.HasMember(pe)) continue;
            var sub = toRemove.WithPrefix(pe);
            result[key] = sub.IsEmpty ? JsonValues.Clone(child) : RemoveItems(child, sub, atom.FieldType(key));
        }
        return result.Count > 0 ? result : null;
    }

    // ---- EnsureNamedFieldsAreMembers -------------------------------------------------------------------------

    /// <summary>The set plus every struct field that has owned children (so pruning can remove whole structs).</summary>
    public static FieldSet EnsureNamedFieldsAreMembers(FieldSet set, SchemaNode? schema)
    {
        var result = new FieldSet();
        var atom = SchemaAtom.IsDeduced(schema) ? default : SchemaAtom.FromSchema(schema!);
        foreach (var m in set.Members) result.Insert([m]);
        foreach (var (pe, child) in set.Children)
        {
            if (child.IsEmpty) continue;
            SchemaNode? childSchema;
            if (pe.Kind == PathElementKind.Field)
            {
                if (atom.Kind == AtomKind.Map && atom.HasField(pe.FieldName!)) result.Insert([pe]);
                childSchema = atom.Kind == AtomKind.Map ? atom.FieldType(pe.FieldName!) : null;
            }
            else childSchema = atom.Kind == AtomKind.List ? atom.Element : null;
            var ensured = EnsureNamedFieldsAreMembers(child, childSchema);
            var target = result.Descend(pe);
            foreach (var p in ensured.Paths()) target.Insert(p);
        }
        return result;
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    /// <summary>Drops null-valued struct fields (what a round trip through Kubernetes' Go types does).</summary>
    public static void DropNullFields(JsonNode? value, SchemaNode? schema)
    {
        var atom = SchemaAtom.Resolve(schema, value);
        if (atom.IsLeaf || SchemaAtom.IsDeduced(schema)) return;
        if (value is JsonArray list)
        {
            foreach (var item in list) DropNullFields(item, atom.Element);
            return;
        }
        if (value is not JsonObject obj) return;
        foreach (var key in obj.Select(p => p.Key).ToList())
        {
            var child = obj[key];
            if (child == null && atom.HasField(key)) obj.Remove(key);
            else DropNullFields(child, atom.FieldType(key));
        }
    }
}
