using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Apply;

/// <summary>
/// A set of field paths stored as a trie, as structured-merge-diff's fieldpath.Set: at each level the
/// <see cref="Members"/> (paths that end here) and the <see cref="Children"/> (paths that go deeper).
/// Converts to and from the FieldsV1 JSON of <c>metadata.managedFields</c>.
/// </summary>
public sealed class FieldSet
{
    private readonly SortedSet<PathElement> _members = [];
    private readonly SortedDictionary<PathElement, FieldSet> _children = new();

    public IReadOnlyCollection<PathElement> Members => _members;
    public IReadOnlyDictionary<PathElement, FieldSet> Children => _children;

    public FieldSet() { }

    public FieldSet(IEnumerable<FieldPath> paths)
    {
        foreach (var p in paths) Insert(p);
    }

    public static FieldSet Of(params string[] dottedPaths) => new(dottedPaths.Select(FieldPath.ParseDotted));

    public bool IsEmpty => _members.Count == 0 && _children.Values.All(c => c.IsEmpty);

    public void Insert(FieldPath path) => Insert(path.Elements, 0);

    internal void Insert(IReadOnlyList<PathElement> path, int start = 0)
    {
        if (path.Count - start == 0) return;
        var node = this;
        for (var i = start; i < path.Count - 1; i++) node = node.Descend(path[i]);
        node._members.Add(path[^1]);
    }

    internal FieldSet Descend(PathElement pe)
    {
        if (!_children.TryGetValue(pe, out var child)) _children[pe] = child = new FieldSet();
        return child;
    }

    public bool Has(FieldPath path)
    {
        var p = path.Elements;
        if (p.Count == 0) return false;
        var node = this;
        for (var i = 0; i < p.Count - 1; i++)
            if (!node._children.TryGetValue(p[i], out node!)) return false;
        return node._members.Contains(p[^1]);
    }

    internal bool HasMember(PathElement pe) => _members.Contains(pe);

    /// <summary>The paths below <paramref name="pe"/>, relative to it (empty when none).</summary>
    public FieldSet WithPrefix(PathElement pe) => _children.TryGetValue(pe, out var c) ? c : new FieldSet();

    public FieldSet Union(FieldSet other)
    {
        var result = new FieldSet();
        result._members.UnionWith(_members);
        result._members.UnionWith(other._members);
        foreach (var (pe, c) in _children)
            result._children[pe] = other._children.TryGetValue(pe, out var oc) ? c.Union(oc) : c.Clone();
        foreach (var (pe, oc) in other._children)
            if (!_children.ContainsKey(pe)) result._children[pe] = oc.Clone();
        return result;
    }

    public FieldSet Intersection(FieldSet other)
    {
        var result = new FieldSet();
        foreach (var m in _members) if (other._members.Contains(m)) result._members.Add(m);
        foreach (var (pe, c) in _children)
        {
            if (!other._children.TryGetValue(pe, out var oc)) continue;
            var i = c.Intersection(oc);
            if (!i.IsEmpty) result._children[pe] = i;
        }
        return result;
    }

    /// <summary>Members of this set not in <paramref name="other"/>; a removed member keeps its children.</summary>
    public FieldSet Difference(FieldSet other)
    {
        var result = new FieldSet();
        foreach (var m in _members) if (!other._members.Contains(m)) result._members.Add(m);
        foreach (var (pe, c) in _children)
        {
            if (other._children.TryGetValue(pe, out var oc))
            {
                var d = c.Difference(oc);
                if (!d.IsEmpty) result._children[pe] = d;
            }
            else if (!c.IsEmpty) result._children[pe] = c.Clone();
        }
        return result;
    }

    /// <summary>Like <see cref="Difference"/>, but a member of <paramref name="other"/> also removes everything below it.</summary>
    public FieldSet RecursiveDifference(FieldSet other)
    {
        var result = new FieldSet();
        foreach (var m in _members) if (!other._members.Contains(m)) result._members.Add(m);
        foreach (var (pe, c) in _children)
        {
            if (other._members.Contains(pe)) continue;
            if (other._children.TryGetValue(pe, out var oc))
            {
                var d = c.RecursiveDifference(oc);
                if (!d.IsEmpty) result._children[pe] = d;
            }
            else if (!c.IsEmpty) result._children[pe] = c.Clone();
        }
        return result;
    }

    public FieldSet Clone()
    {
        var result = new FieldSet();
        result._members.UnionWith(_members);
        foreach (var (pe, c) in _children) result._children[pe] = c.Clone();
        return result;
    }

    /// <summary>Every path, in SMD's iteration order: this level's members first, then each child's paths.</summary>
    public IEnumerable<FieldPath> Paths()
    {
        var prefix = new List<PathElement>();
        var result = new List<FieldPath>();
        Collect(prefix, result);
        return result;
    }

    private void Collect(List<PathElement> prefix, List<FieldPath> result)
    {
        foreach (var m in _members) result.Add(new FieldPath(prefix.Append(m)));
        foreach (var (pe, c) in _children)
        {
            prefix.Add(pe);
            c.Collect(prefix, result);
            prefix.RemoveAt(prefix.Count - 1);
        }
    }

    public bool SetEquals(FieldSet other) =>
        _members.SetEquals(other._members)
        && _children.Where(c => !c.Value.IsEmpty).Select(c => c.Key).ToHashSet().SetEquals(other._children.Where(c => !c.Value.IsEmpty).Select(c => c.Key))
        && _children.Where(c => !c.Value.IsEmpty).All(c => c.Value.SetEquals(other._children[c.Key]));

    /// <summary>The FieldsV1 text, byte for byte as structured-merge-diff writes it.</summary>
    public string ToJson()
    {
        var sb = new StringBuilder();
        EmitContents(sb, includeSelf: false);
        return sb.ToString();
    }

    /// <summary>The FieldsV1 value as a node (key order preserved) for <c>metadata.managedFields[].fieldsV1</c>.</summary>
    /// <remarks>Built directly, the same members in the same order as <see cref="ToJson"/> (not printed and parsed again).</remarks>
    public JsonObject ToFieldsV1()
    {
        var o = new JsonObject();
        EmitContents(o, includeSelf: false);
        return o;
    }

    private void EmitContents(JsonObject o, bool includeSelf)
    {
        if (includeSelf && (_members.Count > 0 || _children.Count > 0)) o["."] = new JsonObject();
        foreach (var (pe, isMember, child) in Entries())
        {
            if (child == null) o[pe.Serialize()] = new JsonObject();
            else
            {
                var c = new JsonObject();
                child.EmitContents(c, includeSelf: isMember);
                o[pe.Serialize()] = c;
            }
        }
    }

    private void EmitContents(StringBuilder sb, bool includeSelf)
    {
        sb.Append('{');
        var first = true;
        if (includeSelf && (_members.Count > 0 || _children.Count > 0))
        {
            sb.Append("\".\":{}");
            first = false;
        }
        foreach (var (pe, isMember, child) in Entries())
        {
            if (!first) sb.Append(',');
            first = false;
            JsonValues.WriteGoString(sb, pe.Serialize());
            sb.Append(':');
            if (child == null) sb.Append("{}");
            else child.EmitContents(sb, includeSelf: isMember);
        }
        sb.Append('}');
    }

    /// <summary>
    /// Members and non-empty children interleaved in path element order (both collections are sorted by it: one merge,
    /// no set built); an element in both comes once, with its child.
    /// </summary>
    private List<(PathElement Element, bool IsMember, FieldSet? Child)> Entries()
    {
        var result = new List<(PathElement, bool, FieldSet?)>(_members.Count + _children.Count);
        var comparer = Comparer<PathElement>.Default;
        using var members = _members.GetEnumerator();
        using var children = _children.GetEnumerator();
        var hasMember = members.MoveNext();
        var hasChild = children.MoveNext();
        while (hasMember || hasChild)
        {
            var c = !hasMember ? 1 : !hasChild ? -1 : comparer.Compare(members.Current, children.Current.Key);
            if (c < 0)
            {
                result.Add((members.Current, true, null));
                hasMember = members.MoveNext();
                continue;
            }
            var (pe, child) = children.Current;
            var nonEmpty = child.IsEmpty ? null : child;
            if (c == 0)
            {
                result.Add((pe, true, nonEmpty));
                hasMember = members.MoveNext();
            }
            else if (nonEmpty != null) result.Add((pe, false, nonEmpty));
            hasChild = children.MoveNext();
        }
        return result;
    }

    /// <summary>Reads FieldsV1 JSON text.</summary>
    public static FieldSet FromJson(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException(e.Message, e);
        }
        return FromFieldsV1(node);
    }

    /// <summary>Reads a FieldsV1 value; unknown element types are dropped as SMD does.</summary>
    public static FieldSet FromFieldsV1(JsonNode? node)
    {
        if (node == null) return new FieldSet();
        if (node is not JsonObject obj) throw new FormatException("FieldsV1 must be an object");
        return Read(obj, out _) ?? new FieldSet();
    }

    private static FieldSet? Read(JsonObject obj, out bool isMember)
    {
        isMember = false;
        FieldSet? children = null;
        foreach (var (key, value) in obj)
        {
            if (key == ".")
            {
                isMember = true;
                continue;
            }
            var pe = PathElement.Deserialize(key);
            if (pe == null) continue;
            if (value is not JsonObject childObj) throw new FormatException($"expected object for {key}");
            var grandchildren = Read(childObj, out var childIsMember);
            if (childIsMember) (children ??= new FieldSet())._members.Add(pe);
            if (grandchildren != null)
            {
                children ??= new FieldSet();
                children._children[pe] = children._children.TryGetValue(pe, out var existing) ? existing.Union(grandchildren) : grandchildren;
            }
        }
        if (children == null) isMember = true;
        return children;
    }

    public override string ToString() => string.Join("\n", Paths().Select(p => p.ToString()));
}
