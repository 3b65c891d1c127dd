namespace Anvil.Machinery.Validation;

/// <summary>A bad value already rendered the way Go prints it (e.g. <c>map[string]string{"app":"x"}</c>); printed unquoted.</summary>
public sealed record GoValue(string Text)
{
    public override string ToString() => Text;
}
