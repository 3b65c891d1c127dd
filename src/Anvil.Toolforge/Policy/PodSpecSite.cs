using System.Text.Json.Nodes;

namespace Anvil.Toolforge.Policy;

/// <summary>
/// A pod spec inside a request object: a Pod's own spec or a workload's pod template. <see cref="Path"/> is the
/// spec's JSON pointer in the object (<c>/spec</c>, <c>/spec/template/spec</c>), the base of every message path;
/// <see cref="Metadata"/> is the pod's or the template's metadata (labels).
/// </summary>
internal sealed record PodSpecSite(JsonObject Spec, string Path, JsonObject? Metadata, bool IsPod)
{
    public static readonly string[] ContainerLists = ["containers", "initContainers", "ephemeralContainers"];

    /// <summary>Every container of the spec with its JSON pointer (<c>/spec/initContainers/0</c>).</summary>
    public IEnumerable<(JsonObject Container, string Path)> Containers(params string[] lists)
    {
        foreach (var list in lists.Length == 0 ? ContainerLists : lists)
        {
            if (Spec[list] is not JsonArray items) continue;
            for (var i = 0; i < items.Count; i++)
                if (items[i] is JsonObject c) yield return (c, $"{Path}/{list}/{i}");
        }
    }

    public string? Label(string key) =>
        Metadata?["labels"] is JsonObject labels && labels[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
