namespace Anvil.Machinery.Selectors;

/// <summary>Go's fmt verbs that Kubernetes error messages rely on (%q for strings, %#v for []string).</summary>
internal static class GoFormat
{
    public static string Quote(string s) => Validation.GoQuote.Quote(s);

    /// <summary>%#v of a []string: <c>[]string{"a", "b"}</c>, <c>[]string{}</c>, or <c>[]string(nil)</c>.</summary>
    public static string StringSlice(IReadOnlyList<string>? values) =>
        values == null ? "[]string(nil)" : "[]string{" + string.Join(", ", values.Select(Quote)) + "}";
}
