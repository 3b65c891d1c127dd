namespace Anvil.Controllers.Tests.Harness;

/// <summary>Bounded polling for what controllers do asynchronously; fails with the last state seen.</summary>
public static class Eventually
{
    /// <summary>Bound for anything eventually consistent; never an assertion about speed.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<T> GetAsync<T>(string what, Func<Task<(bool Done, T Value, string State)>> probe, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (true)
        {
            var (done, value, state) = await probe();
            if (done) return value;
            if (DateTime.UtcNow >= deadline) throw new Xunit.Sdk.XunitException($"{what}: not reached within {(timeout ?? Timeout).TotalSeconds:0} s. Last state:\n{state}");
            await Task.Delay(100);
        }
    }

    /// <summary>The first non-null value <paramref name="probe"/> gives; on timeout the state <paramref name="describe"/> gives.</summary>
    public static Task<T> UntilAsync<T>(string what, Func<Task<T?>> probe, Func<Task<string>>? describe = null) where T : class =>
        GetAsync(what, async () => await probe() is { } value ? (true, value, "") : (false, null!, describe != null ? await describe() : "(none)"));

    public static Task UntilAsync(string what, Func<Task<bool>> probe, Func<Task<string>>? describe = null) =>
        UntilAsync<object>(what, async () => await probe() ? new object() : null, describe);
}
