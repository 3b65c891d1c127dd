using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Registry;

public sealed record WatchOptions
{
    public Func<JsonObject, bool>? Predicate { get; init; }
    public string ResourceVersion { get; init; } = "";
    /// <summary>sendInitialEvents=true: initial state then a bookmark marked k8s.io/initial-events-end.</summary>
    public bool? SendInitialEvents { get; init; }
    public bool AllowBookmarks { get; init; }
}
