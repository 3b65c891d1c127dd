namespace Anvil.Controllers.Tests.Harness;

/// <summary>Bounded polling for what controllers do asynchronously; fails with the last state seen.</summary>
public static class Eventually
{
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
}
