namespace Anvil.Machinery.Selectors;

/// <summary>One term of a field selector: <c>field=value</c> (or <c>==</c>) or <c>field!=value</c>; the value is unescaped.</summary>
public sealed record FieldRequirement(string Field, bool NotEquals, string Value)
{
    /// <summary>A missing field reads as "" as it does in a Kubernetes fields.Set.</summary>
    public bool Matches(Func<string, string?> getField) => (getField(Field) ?? "") == Value != NotEquals;

    /// <summary>hasTerm/notHasTerm String(): the value re-escaped, <c>==</c> written as <c>=</c>.</summary>
    public override string ToString() => Field + (NotEquals ? "!=" : "=") + FieldSelector.EscapeValue(Value);
}
