namespace Anvil.Client;

/// <summary>A served resource as discovery reports it.</summary>
public sealed record ApiResource(ResourceRef Ref, string Kind, IReadOnlyList<string> Verbs)
{
    public bool Supports(string verb) => Verbs.Contains(verb);
}
