namespace Anvil.Node.Volumes;

/// <summary>A token from the TokenRequest API, with when it was issued and when it expires.</summary>
public sealed record ServiceAccountToken(string Token, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt)
{
    /// <summary>The kubelet's rule: refresh after 80% of the lifetime, or after 24 hours.</summary>
    public bool NeedsRefresh(DateTimeOffset now)
    {
        var ttl = ExpiresAt - IssuedAt;
        return now >= IssuedAt + ttl * 0.8 || now >= IssuedAt + TimeSpan.FromHours(24);
    }
}
