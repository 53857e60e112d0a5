namespace Maas.Infrastructure.Redis;

/// <summary>Outcome of <see cref="RedisRequestRateLimiter.AcquireAsync"/>.</summary>
/// <param name="Allowed">False only when at least one rule's window is exhausted.</param>
/// <param name="Enforced">False when Redis could not be asked: the request is allowed (fail open) and <paramref name="Counters"/> is empty.</param>
/// <param name="Counters">One per rule, in the order the rules were given.</param>
public sealed record RateLimitDecision(bool Allowed, bool Enforced, IReadOnlyList<RateLimitCounter> Counters)
{
    public static RateLimitDecision NotEnforced { get; } = new(true, false, []);

    /// <summary>The counter closest to its limit (fewest remaining; ties go to the smaller limit), for x-ratelimit-* headers.</summary>
    public RateLimitCounter? Tightest =>
        Counters.Count == 0 ? null : Counters.OrderBy(c => c.Remaining).ThenBy(c => c.Rule.Limit).First();

    /// <summary>When a denied caller may try again: the latest reset among the exhausted counters.</summary>
    public TimeSpan RetryAfter =>
        Counters.Where(c => c.Exhausted).Select(c => c.ResetAfter).DefaultIfEmpty(TimeSpan.Zero).Max();
}
