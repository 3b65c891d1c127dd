using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Registry;

/// <summary>The parts of <c>metav1.ListOptions</c> the store acts on; selectors arrive as a predicate.</summary>
public sealed record ListOptions
{
    /// <summary>Label and field selectors combined; null matches everything.</summary>
    public Func<JsonObject, bool>? Predicate { get; init; }
    public int Limit { get; init; }
    public string Continue { get; init; } = "";
    public string ResourceVersion { get; init; } = "";
    public string ResourceVersionMatch { get; init; } = "";
}
