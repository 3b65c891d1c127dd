namespace Anvil.Scheduler.Framework;

/// <summary>A pod toleration; <see cref="Tolerates"/> is v1.Toleration.ToleratesTaint.</summary>
internal sealed record Toleration(string Key, string Operator, string Value, string Effect)
{
    public bool Tolerates(Taint taint)
    {
        if (Effect.Length > 0 && Effect != taint.Effect) return false;
        if (Key.Length > 0 && Key != taint.Key) return false;
        return Operator switch
        {
            "Exists" => true,
            "" or "Equal" => Value == taint.Value,
            _ => false,
        };
    }

    public static bool AnyTolerates(IReadOnlyList<Toleration> tolerations, Taint taint)
    {
        foreach (var t in tolerations)
            if (t.Tolerates(taint)) return true;
        return false;
    }
}
