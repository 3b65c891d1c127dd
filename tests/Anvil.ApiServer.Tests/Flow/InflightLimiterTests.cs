using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Flow;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Tests.Flow;

public sealed class InflightLimiterTests
{
    private static UserInfo User(string name) => new(name, ["system:authenticated"]);

    [Fact]
    public void RefusesBeyondTheLimitWith429AndRetryAfter()
    {
        var limiter = new InflightLimiter(maxReadOnly: 4, maxMutating: 2);
        var held = Enumerable.Range(0, 2).Select(i => limiter.Enter(User("u" + i), "create", false)).ToList();
        var e = Assert.Throws<StatusError>(() => limiter.Enter(User("u9"), "create", false));
        Assert.Equal((429, "TooManyRequests", 1), (e.Code, e.Reason, e.RetryAfterSeconds));
        held[0].Dispose();
        using var again = limiter.Enter(User("u9"), "create", false);
    }

    [Fact]
    public void OneUserCannotTakeMoreThanItsShareOfABusyPool()
    {
        var limiter = new InflightLimiter(maxReadOnly: 10, maxMutating: 10);
        var other = limiter.Enter(User("quiet-tool"), "get", false);
        var flood = new List<IDisposable>();
        // The flooding tool gets slots until the pool is half busy and it holds its equal share (5 of 10).
        Assert.Throws<StatusError>(() => { for (var i = 0; i < 10; i++) flood.Add(limiter.Enter(User("noisy-tool"), "get", false)); });
        Assert.Equal(5, flood.Count);
        // Another tool still gets in.
        using var quiet = limiter.Enter(User("quiet-tool"), "get", false);
        other.Dispose();
        flood.ForEach(f => f.Dispose());
    }

    [Fact]
    public void WatchesAndMastersAreNotCounted()
    {
        var limiter = new InflightLimiter(maxReadOnly: 1, maxMutating: 1);
        var held = limiter.Enter(User("u"), "get", false);
        using var watch = limiter.Enter(User("u"), "watch", longRunning: true);
        using var admin = limiter.Enter(new UserInfo("admin", ["system:masters"]), "get", false);
        held.Dispose();
    }

    [Fact]
    public void ReleasingTwiceDoesNotFreeTwoSlots()
    {
        var limiter = new InflightLimiter(maxReadOnly: 1, maxMutating: 1);
        var slot = limiter.Enter(User("u"), "update", false);
        slot.Dispose();
        slot.Dispose();
        using var one = limiter.Enter(User("u"), "update", false);
        Assert.Throws<StatusError>(() => limiter.Enter(User("v"), "update", false));
    }
}
