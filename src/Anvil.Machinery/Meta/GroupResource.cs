namespace Anvil.Machinery.Meta;

/// <summary>A group and a plural resource, as named in error messages: <c>deployments.apps</c>, <c>pods</c>.</summary>
public readonly record struct GroupResource(string Group, string Resource)
{
    public override string ToString() => Group.Length == 0 ? Resource : Resource + "." + Group;
}
