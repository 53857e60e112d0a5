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
/// The keys of one call must live on one node; on Redis Cluster give them a common hash tag.
/// </remarks>
public sealed class RedisRequestRateLimiter(
    IConnectionMultiplexer redis,
    IOptions<RedisRequestRateLimiterOptions> options,
    ILogger<RedisRequestRateLimiter> logger)
{
    // KEYS[i]: counter; ARGV[2i-1]: limit, ARGV[2i]: window in ms.
    // Returns { allowed, count1, pttl1, count2, pttl2, ... }.
    private const string Script = """
        local allowed = 1
        for i = 1, #KEYS do
          local count = tonumber(redis.call('GET', KEYS[i]) or '0')
          if count >= tonumber(ARGV[2 * i - 1]) then allowed = 0 end
        end
        local result = { allowed }
        for i = 1, #KEYS do
          local window = tonumber(ARGV[2 * i])
          local count
          if allowed == 1 then
            count = redis.call('INCR', KEYS[i])
            if count == 1 then redis.call('PEXPIRE', KEYS[i], window) end
          else
            count = tonumber(redis.call('GET', KEYS[i]) or '0')
          end
          local ttl = redis.call('PTTL', KEYS[i])
          if ttl < 0 then
            if count > 0 then redis.call('PEXPIRE', KEYS[i], window) end
            ttl = window
          end
          result[2 * i] = count
          result[2 * i + 1] = ttl
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
        var args = new RedisValue[rules.Count * 2];
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (rule.Limit <= 0 || rule.Window <= TimeSpan.Zero)
            {
                throw new ArgumentException($"Rule '{rule.Key}' needs a positive limit and window.", nameof(rules));
            }

            keys[i] = rule.Key;
            args[2 * i] = rule.Limit;
            args[2 * i + 1] = (long)rule.Window.TotalMilliseconds;
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
            counters[i] = new RateLimitCounter(
                rules[i],
                (long)values[2 * i + 1],
                TimeSpan.FromMilliseconds((long)values[2 * i + 2]));
        }

        return new RateLimitDecision((long)values[0] == 1, true, counters);
    }
}
