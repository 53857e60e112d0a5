using Maas.Infrastructure.Redis;

namespace Maas.Infrastructure.RateLimiting;

/// <summary>
/// The generic cell rate algorithm, the limit both the Redis limiter (in Lua, same formulas) and the local one apply:
/// a rule of L requests per window W admits one request every W/L on average with bursts of up to L, and keeps one
/// number per key, the theoretical arrival time (TAT). A request at time t fits when max(TAT, t) + W/L - t &lt;= W;
/// it then moves TAT to max(TAT, t) + W/L. Unlike a fixed window it never admits 2L around a window boundary.
/// </summary>
public static class Gcra
{
    /// <summary>The rule's state after a request at <paramref name="nowMs"/>: whether it fits, and the counter to report.</summary>
    /// <param name="tatMs">The stored TAT (0 if none).</param>
    /// <param name="consume">Whether the request is taken (all rules of the call fit); false only reports.</param>
    public static (bool Fits, double NewTatMs, RateLimitCounter Counter) Step(RateLimitRule rule, double tatMs, double nowMs, bool consume)
    {
        var windowMs = rule.Window.TotalMilliseconds;
        var intervalMs = windowMs / rule.Limit;
        var tat = Math.Max(tatMs, nowMs);
        var fits = tat + intervalMs - nowMs <= windowMs;
        if (consume && fits)
        {
            tat += intervalMs;
        }

        var remaining = Math.Max(0, (long)Math.Floor((nowMs + windowMs - tat) / intervalMs));
        var resetAfter = TimeSpan.FromMilliseconds(Math.Ceiling(tat - nowMs));
        var retryAfter = TimeSpan.FromMilliseconds(Math.Max(0, Math.Ceiling(tat + intervalMs - nowMs - windowMs)));
        return (fits, tat, new RateLimitCounter(rule, remaining, resetAfter, retryAfter));
    }
}
