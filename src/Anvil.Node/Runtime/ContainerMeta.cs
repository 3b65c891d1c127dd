using System.Text.Json;

namespace Anvil.Node.Runtime;

/// <summary>What the bundle directory records about a container so a restarted agent can adopt it.</summary>
internal sealed record ContainerMeta(string Id, string PodUid, string PodNamespace, string PodName, string Name, int Attempt, string Image, DateTimeOffset CreatedAt)
{
    public const string FileName = "anvil-meta.json";

    public void Write(string bundle) => File.WriteAllText(Path.Combine(bundle, FileName), JsonSerializer.Serialize(this));

    public static ContainerMeta? Read(string bundle)
    {
        var path = Path.Combine(bundle, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<ContainerMeta>(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
