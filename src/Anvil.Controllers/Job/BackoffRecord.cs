using System.Text.Json.Nodes;

namespace Anvil.Controllers.Job;

/// <summary>
/// Failures since the last success and when the last one happened (the job controller's backoffStore):
/// pods are recreated after 10 s, doubling per further failure up to 10 minutes.
/// </summary>
internal sealed record BackoffRecord(int FailuresAfterLastSuccess, DateTimeOffset? LastFailureTime)
{
    public static readonly BackoffRecord None = new(0, null);

    /// <summary>The record after newly counted pods finished.</summary>
    public BackoffRecord With(IReadOnlyList<JsonObject> newSucceeded, IReadOnlyList<JsonObject> newFailed)
    {
        var failedTimes = newFailed.Select(PodFacts.FinishedTime).Order().ToList();
        if (newSucceeded.Count == 0)
            return failedTimes.Count == 0 ? this : new BackoffRecord(FailuresAfterLastSuccess + failedTimes.Count, failedTimes[^1]);
        var lastSuccess = newSucceeded.Select(PodFacts.FinishedTime).Max();
        var after = failedTimes.Where(t => t > lastSuccess).ToList();
        return new BackoffRecord(after.Count, after.Count == 0 ? null : after[^1]);
    }

    public TimeSpan RemainingTime(DateTimeOffset now, TimeSpan initial, TimeSpan max)
    {
        if (FailuresAfterLastSuccess == 0 || LastFailureTime is not { } last) return TimeSpan.Zero;
        var backoff = initial;
        for (var i = 1; i < FailuresAfterLastSuccess; i++)
        {
            backoff *= 2;
            if (backoff >= max) { backoff = max; break; }
        }
        var elapsed = now - last;
        return backoff < elapsed ? TimeSpan.Zero : backoff - elapsed;
    }
}
