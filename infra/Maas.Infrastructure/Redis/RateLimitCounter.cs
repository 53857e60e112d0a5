namespace Maas.Infrastructure.Redis;

/// <summary>State of one rule after an acquire.</summary>
/// <param name="Rule">The rule this counter belongs to.</param>
/// <param name="Remaining">Requests that would still be admitted right now (x-ratelimit-remaining).</param>
/// <param name="ResetAfter">Time until the rule is back to its full burst (x-ratelimit-reset).</param>
/// <param name="RetryAfter">Time until one more request fits; zero while <paramref name="Remaining"/> is above zero.</param>
public sealed record RateLimitCounter(RateLimitRule Rule, long Remaining, TimeSpan ResetAfter, TimeSpan RetryAfter)
{
    /// <summary>No request fits right now.</summary>
    public bool Exhausted => Remaining == 0;
}
