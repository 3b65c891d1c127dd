namespace Anvil.ApiServer.Authentication;

/// <summary>An authenticated identity (k8s.io/apiserver user.Info).</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string Uid = "")
{
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Extra { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    public static readonly UserInfo Anonymous = new("system:anonymous", ["system:unauthenticated"]);

    public bool InGroup(string group) => Groups.Contains(group);
}
