namespace Anvil.Bench.ApiServer;

/// <summary>An object a client created and keeps updating with its last resourceVersion as precondition.</summary>
internal sealed class OwnObject(string name, string uid, string resourceVersion)
{
    public string Name { get; } = name;
    public string Uid { get; } = uid;
    public string ResourceVersion { get; set; } = resourceVersion;
}
