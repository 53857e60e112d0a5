namespace Maas.Infrastructure.Redis;

/// <summary>Outcome of a rate-limit acquire (<see cref="RedisRequestRateLimiter"/>, <see cref="RateLimiting.LocalRequestRateLimiter"/>).</summary>
/// <param name="Allowed">False only when at least one rule had no room: then the request was counted nowhere.</param>
/// <param name="Enforced">False when the limiter could not be asked (Redis unreachable): allowed, <paramref name="Counters"/> empty.</param>
/// <param name="Counters">One per rule, in the order the rules were given.</param>
public sealed record RateLimitDecision(bool Allowed, bool Enforced, IReadOnlyList<RateLimitCounter> Counters)
{
    public static RateLimitDecision NotEnforced { get; } = new(true, false, []);

    /// <summary>The counter closest to its limit (fewest remaining; ties go to the smaller limit), for x-ratelimit-* headers.</summary>
    public RateLimitCounter? Tightest =>
        Counters.Count == 0 ? null : Counters.OrderBy(c => c.Remaining).ThenBy(c => c.Rule.Limit).First();

    /// <summary>When a denied caller may try again: the latest time a rule without room has room again.</summary>
    public TimeSpan RetryAfter =>
        Counters.Where(c => c.Exhausted).Select(c => c.RetryAfter).DefaultIfEmpty(TimeSpan.Zero).Max();
}
