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
    // Both sorted by path element and without duplicates. Levels hold a handful of elements, where sorted lists
    // cost far less (allocations, set operations as merges) than search trees.
    private readonly List<PathElement> _members;
    private readonly List<KeyValuePair<PathElement, FieldSet>> _children;

    public IReadOnlyCollection<PathElement> Members => _members;

    /// <summary>The children in path element order.</summary>
    public IReadOnlyList<KeyValuePair<PathElement, FieldSet>> Children => _children;

    public FieldSet()
    {
        _members = [];
        _children = [];
    }

    private FieldSet(int members, int children)
    {
        _members = new List<PathElement>(members);
        _children = new List<KeyValuePair<PathElement, FieldSet>>(children);
    }

    public FieldSet(IEnumerable<FieldPath> paths) : this()
    {
        foreach (var p in paths) Insert(p);
    }

    public static FieldSet Of(params string[] dottedPaths) => new(dottedPaths.Select(FieldPath.ParseDotted));

    public bool IsEmpty
    {
        get
        {
            if (_members.Count > 0) return false;
            foreach (var (_, c) in _children)
                if (!c.IsEmpty) return false;
            return true;
        }
    }

    public void Insert(FieldPath path) => Insert(path.Elements, 0);

    internal void Insert(IReadOnlyList<PathElement> path, int start = 0)
    {
        if (path.Count - start == 0) return;
        var node = this;
        for (var i = start; i < path.Count - 1; i++) node = node.Descend(path[i]);
        node.AddMember(path[^1]);
    }

    internal FieldSet Descend(PathElement pe)
    {
        var i = FindChild(pe);
        if (i >= 0) return _children[i].Value;
        var child = new FieldSet();
        _children.Insert(~i, new(pe, child));
        return child;
    }

    public bool Has(FieldPath path)
    {
        var p = path.Elements;
        if (p.Count == 0) return false;
        var node = this;
        for (var i = 0; i < p.Count - 1; i++)
        {
            var c = node.FindChild(p[i]);
            if (c < 0) return false;
            node = node._children[c].Value;
        }
        return node.HasMember(p[^1]);
    }

    internal bool HasMember(PathElement pe) => FindMember(pe) >= 0;

    /// <summary>The paths below <paramref name="pe"/>, relative to it (empty when none).</summary>
    public FieldSet WithPrefix(PathElement pe) => FindChild(pe) is var i and >= 0 ? _children[i].Value : new FieldSet();

    public FieldSet Union(FieldSet other)
    {
        var result = new FieldSet(_members.Count + other._members.Count, _children.Count + other._children.Count);
        MergeMembers(_members, other._members, result._members, keepBoth: true, keepLeft: true, keepRight: true);
        int i = 0, j = 0;
        while (i < _children.Count || j < other._children.Count)
        {
            var c = i == _children.Count ? 1 : j == other._children.Count ? -1 : _children[i].Key.CompareTo(other._children[j].Key);
            if (c < 0) { result._children.Add(new(_children[i].Key, _children[i].Value.Clone())); i++; }
            else if (c > 0) { result._children.Add(new(other._children[j].Key, other._children[j].Value.Clone())); j++; }
            else { result._children.Add(new(_children[i].Key, _children[i].Value.Union(other._children[j].Value))); i++; j++; }
        }
        return result;
    }

    public FieldSet Intersection(FieldSet other)
    {
        var result = new FieldSet();
        MergeMembers(_members, other._members, result._members, keepBoth: true, keepLeft: false, keepRight: false);
        int i = 0, j = 0;
        while (i < _children.Count && j < other._children.Count)
        {
            var c = _children[i].Key.CompareTo(other._children[j].Key);
            if (c < 0) i++;
            else if (c > 0) j++;
            else
            {
                var x = _children[i].Value.Intersection(other._children[j].Value);
                if (!x.IsEmpty) result._children.Add(new(_children[i].Key, x));
                i++;
                j++;
            }
        }
        return result;
    }

    /// <summary>Members of this set not in <paramref name="other"/>; a removed member keeps its children.</summary>
    public FieldSet Difference(FieldSet other) => Subtract(other, recursive: false);

    /// <summary>Like <see cref="Difference"/>, but a member of <paramref name="other"/> also removes everything below it.</summary>
    public FieldSet RecursiveDifference(FieldSet other) => Subtract(other, recursive: true);

    private FieldSet Subtract(FieldSet other, bool recursive)
    {
        var result = new FieldSet(_members.Count, _children.Count);
        MergeMembers(_members, other._members, result._members, keepBoth: false, keepLeft: true, keepRight: false);
        var j = 0;
        foreach (var (pe, child) in _children)
        {
            if (recursive && other.HasMember(pe)) continue;
            while (j < other._children.Count && other._children[j].Key.CompareTo(pe) < 0) j++;
            if (j < other._children.Count && other._children[j].Key.CompareTo(pe) == 0)
            {
                var d = recursive ? child.RecursiveDifference(other._children[j].Value) : child.Difference(other._children[j].Value);
                if (!d.IsEmpty) result._children.Add(new(pe, d));
            }
            else if (!child.IsEmpty) result._children.Add(new(pe, child.Clone()));
        }
        return result;
    }

    public FieldSet Clone()
    {
        var result = new FieldSet(_members.Count, _children.Count);
        result._members.AddRange(_members);
        foreach (var (pe, c) in _children) result._children.Add(new(pe, c.Clone()));
        return result;
    }

    /// <summary>One pass over two sorted member lists, keeping elements found in both, only left, only right as asked.</summary>
    private static void MergeMembers(List<PathElement> left, List<PathElement> right, List<PathElement> into, bool keepBoth, bool keepLeft, bool keepRight)
    {
        int i = 0, j = 0;
        while (i < left.Count || j < right.Count)
        {
            var c = i == left.Count ? 1 : j == right.Count ? -1 : left[i].CompareTo(right[j]);
            if (c < 0)
            {
                if (keepLeft) into.Add(left[i]);
                i++;
            }
            else if (c > 0)
            {
                if (keepRight) into.Add(right[j]);
                j++;
            }
            else
            {
                if (keepBoth) into.Add(left[i]);
                i++;
                j++;
            }
        }
    }

    private void AddMember(PathElement pe)
    {
        var i = FindMember(pe);
        if (i < 0) _members.Insert(~i, pe);
    }

    /// <summary>Index of the member, or the bitwise complement of where it would go.</summary>
    private int FindMember(PathElement pe)
    {
        int lo = 0, hi = _members.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var c = _members[mid].CompareTo(pe);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }

    private int FindChild(PathElement pe)
    {
        int lo = 0, hi = _children.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var c = _children[mid].Key.CompareTo(pe);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
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

    public bool SetEquals(FieldSet other)
    {
        if (!_members.SequenceEqual(other._members)) return false;
        var mine = _children.Where(c => !c.Value.IsEmpty).ToList();
        var theirs = other._children.Where(c => !c.Value.IsEmpty).ToList();
        if (mine.Count != theirs.Count) return false;
        for (var i = 0; i < mine.Count; i++)
            if (!mine[i].Key.Equals(theirs[i].Key) || !mine[i].Value.SetEquals(theirs[i].Value)) return false;
        return true;
    }

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
        int i = 0, j = 0;
        while (i < _members.Count || j < _children.Count)
        {
            var c = i == _members.Count ? 1 : j == _children.Count ? -1 : _members[i].CompareTo(_children[j].Key);
            if (c < 0)
            {
                result.Add((_members[i++], true, null));
                continue;
            }
            var (pe, child) = _children[j++];
            var nonEmpty = child.IsEmpty ? null : child;
            if (c == 0)
            {
                result.Add((pe, true, nonEmpty));
                i++;
            }
            else if (nonEmpty != null) result.Add((pe, false, nonEmpty));
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
            if (childIsMember) (children ??= new FieldSet()).AddMember(pe);
            if (grandchildren != null)
            {
                children ??= new FieldSet();
                var at = children.FindChild(pe);
                if (at >= 0) children._children[at] = new(pe, children._children[at].Value.Union(grandchildren));
                else children._children.Insert(~at, new(pe, grandchildren));
            }
        }
        if (children == null) isMember = true;
        return children;
    }

    public override string ToString() => string.Join("\n", Paths().Select(p => p.ToString()));
}
