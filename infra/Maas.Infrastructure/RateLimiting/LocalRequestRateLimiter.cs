using Maas.Infrastructure.Redis;
using Microsoft.Extensions.Caching.Memory;

namespace Maas.Infrastructure.RateLimiting;

/// <summary>
/// The same limits as <see cref="RedisRequestRateLimiter"/> (GCRA, all rules of a call or none), counted in this
/// process's memory: the gateway's fallback while Redis is unreachable (with its share of each limit) and its
/// per-address limit on failed authentications. Memory is bounded: at most <c>maxKeys</c> keys are kept; past that
/// new keys start unlimited until older ones expire, which errs towards serving.
/// </summary>
public sealed class LocalRequestRateLimiter : IDisposable
{
    private readonly MemoryCache _tats;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    public LocalRequestRateLimiter(int maxKeys, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeys, 1);
        _tats = new MemoryCache(new MemoryCacheOptions { SizeLimit = maxKeys });
        _time = time;
    }

    /// <summary>Counts one request against every rule if all of them still have room.</summary>
    public RateLimitDecision Acquire(IReadOnlyList<RateLimitRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var counters = new RateLimitCounter[rules.Count];
        lock (_gate)
        {
            var allowed = true;
            foreach (var rule in rules)
            {
                allowed &= Gcra.Step(rule, Tat(rule), now, consume: false).Fits;
            }

            for (var i = 0; i < rules.Count; i++)
            {
                var (_, tat, counter) = Gcra.Step(rules[i], Tat(rules[i]), now, consume: allowed);
                counters[i] = counter;
                if (allowed)
                {
                    _tats.Set(rules[i].Key, tat, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(Math.Max(1, tat - now)), Size = 1 });
                }
            }

            return new RateLimitDecision(allowed, true, counters);
        }
    }

    /// <summary>Whether <paramref name="rule"/> has no room now, without counting anything.</summary>
    public bool IsExhausted(RateLimitRule rule, out TimeSpan retryAfter)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
        {
            var (fits, _, counter) = Gcra.Step(rule, Tat(rule), now, consume: false);
            retryAfter = counter.RetryAfter;
            return !fits;
        }
    }

    public void Dispose() => _tats.Dispose();

    private double Tat(RateLimitRule rule) => _tats.TryGetValue(rule.Key, out double tat) ? tat : 0;
}
