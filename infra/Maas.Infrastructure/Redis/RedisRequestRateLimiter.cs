using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Maas.Infrastructure.Redis;

/// <summary>
/// Fixed-window request counters in Redis, shared by every replica that uses the same keys. All
/// rules of one call are checked and counted in one atomic Lua script: a request is counted
/// against every rule or none, so a denied request does not use up anybody's budget. When Redis
/// cannot be reached the call fails open (allowed, not enforced) and logs a warning: rate
/// limiting protects capacity, it must never take the service down with it.
/// </summary>
/// <remarks>
/// <para>
/// A window starts with the first request counted in it and ends <see cref="RateLimitRule.Window"/> later by the
/// callers' <see cref="TimeProvider"/>, which the script receives as "now": the counter stores its window's start,
/// so the window does not depend on a Redis TTL (tests move a fake clock instead of waiting). Processes sharing the
/// keys therefore need synchronized clocks; skew between them moves a window's end by the skew. Redis still expires
/// an idle counter, one window after its window ended, only to reclaim memory.
/// </para>
/// <para>The keys of one call must live on one node; on Redis Cluster give them a common hash tag.</para>
/// </remarks>
public sealed class RedisRequestRateLimiter(
    IConnectionMultiplexer redis,
    IOptions<RedisRequestRateLimiterOptions> options,
    TimeProvider time,
    ILogger<RedisRequestRateLimiter> logger)
{
    // KEYS[i]: counter, a hash {start = window start in ms, count}; ARGV[1]: now in ms (the caller's clock);
    // ARGV[2i]: limit, ARGV[2i+1]: window in ms. Returns { allowed, count1, resetMs1, count2, resetMs2, ... }.
    private const string Script = """
        local now = tonumber(ARGV[1])
        local allowed = 1
        local starts = {}
        local counts = {}
        for i = 1, #KEYS do
          local window = tonumber(ARGV[2 * i + 1])
          local state = redis.call('HMGET', KEYS[i], 'start', 'count')
          local start = tonumber(state[1])
          local count = tonumber(state[2]) or 0
          if start == nil or now >= start + window then
            start = now
            count = 0
          end
          starts[i] = start
          counts[i] = count
          if count >= tonumber(ARGV[2 * i]) then allowed = 0 end
        end
        local result = { allowed }
        for i = 1, #KEYS do
          local window = tonumber(ARGV[2 * i + 1])
          if allowed == 1 then
            counts[i] = counts[i] + 1
            redis.call('HSET', KEYS[i], 'start', string.format('%d', starts[i]), 'count', counts[i])
            redis.call('PEXPIRE', KEYS[i], string.format('%d', starts[i] + 2 * window - now))
          end
          result[2 * i] = counts[i]
          result[2 * i + 1] = starts[i] + window - now
        end
        return result
        """;

    private readonly TimeSpan _timeout = options.Value.Timeout;

    /// <summary>Counts one request against every rule if all of them still have room.</summary>
    public async Task<RateLimitDecision> AcquireAsync(IReadOnlyList<RateLimitRule> rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Count == 0)
        {
            return new RateLimitDecision(true, true, []);
        }

        var keys = new RedisKey[rules.Count];
        var args = new RedisValue[1 + rules.Count * 2];
        args[0] = time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (rule.Limit <= 0 || rule.Window <= TimeSpan.Zero)
            {
                throw new ArgumentException($"Rule '{rule.Key}' needs a positive limit and window.", nameof(rules));
            }

            keys[i] = rule.Key;
            args[1 + 2 * i] = rule.Limit;
            args[2 + 2 * i] = (long)rule.Window.TotalMilliseconds;
        }

        RedisResult result;
        try
        {
            result = await redis.GetDatabase()
                .ScriptEvaluateAsync(Script, keys, args)
                .WaitAsync(_timeout, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            logger.LogWarning(ex, "Rate limiter could not reach Redis; allowing the request without a limit");
            return RateLimitDecision.NotEnforced;
        }

        var values = (RedisResult[])result!;
        var counters = new RateLimitCounter[rules.Count];
        for (var i = 0; i < rules.Count; i++)
        {
            // A caller whose clock runs behind the one that opened the window would see more than a window left.
            var resetAfter = TimeSpan.FromMilliseconds(Math.Clamp((long)values[2 * i + 2], 0, (long)rules[i].Window.TotalMilliseconds));
            counters[i] = new RateLimitCounter(rules[i], (long)values[2 * i + 1], resetAfter);
        }

        return new RateLimitDecision((long)values[0] == 1, true, counters);
    }
}
