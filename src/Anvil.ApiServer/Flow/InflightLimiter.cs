using System.Collections.Concurrent;
using Anvil.ApiServer.Authentication;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Flow;

/// <summary>
/// Bounds the requests being served at once, as kube-apiserver's <c>--max-requests-inflight</c> (400 reads)
/// and <c>--max-mutating-requests-inflight</c> (200 writes) do, answering 429 with Retry-After when full.
/// Fairness in the spirit of API Priority and Fairness: once a pool is half busy, no single user may hold
/// more than an equal share of it, so one tool's flood cannot starve the others. Long-running requests
/// (watches, log follows, exec) are not counted; <c>system:masters</c> is exempt, as APF's exempt level.
/// </summary>
public sealed class InflightLimiter(int maxReadOnly = 400, int maxMutating = 200)
{
    private readonly Pool _reads = new(maxReadOnly);
    private readonly Pool _writes = new(maxMutating);

    public int MaxReadOnly => maxReadOnly;
    public int MaxMutating => maxMutating;

    /// <summary>Takes a slot for the request or throws 429. Dispose the result when the request ends.</summary>
    public IDisposable Enter(UserInfo user, string verb, bool longRunning)
    {
        if (longRunning || user.InGroup("system:masters")) return NoSlot.Instance;
        var pool = verb is "get" or "list" or "watch" || verb.Length == 0 ? _reads : _writes;
        return pool.Enter(user.Name);
    }

    private sealed class Pool(int limit)
    {
        private readonly ConcurrentDictionary<string, int> _perUser = new();
        private int _total;

        public IDisposable Enter(string user)
        {
            var total = Interlocked.Increment(ref _total);
            var mine = _perUser.AddOrUpdate(user, 1, (_, n) => n + 1);
            var activeUsers = Math.Max(1, _perUser.Count(p => p.Value > 0));
            var fairShare = Math.Max(1, limit / activeUsers);
            if (total > limit || (total > limit / 2 && mine > fairShare))
            {
                Leave(user);
                throw StatusError.TooManyRequests("Too many requests, please try again later.", 1);
            }
            return new Slot(this, user);
        }

        public void Leave(string user)
        {
            Interlocked.Decrement(ref _total);
            _perUser.AddOrUpdate(user, 0, (_, n) => n - 1);
            if (_perUser.TryGetValue(user, out var n) && n <= 0) _perUser.TryRemove(new KeyValuePair<string, int>(user, n));
        }
    }

    private sealed class Slot(Pool pool, string user) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) pool.Leave(user);
        }
    }

    private sealed class NoSlot : IDisposable
    {
        public static readonly NoSlot Instance = new();
        public void Dispose() { }
    }
}
