namespace Anvil.ApiServer.Registry.Core;

/// <summary>core/v1 ServiceAccount: metadata rules only; no generation.</summary>
public sealed class ServiceAccountStrategy : BuiltinStrategy
{
    public static readonly ServiceAccountStrategy Instance = new();
}
