using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Maas.Infrastructure.Redis;

/// <summary>
/// Request-rate limits in Redis, shared by every replica that uses the same keys: GCRA (<see cref="RateLimiting.Gcra"/>),
/// a sliding limit that admits L requests per window on average, bursts of up to L, and never 2L around a window
/// boundary as fixed windows do. All rules of one call are checked and counted in one atomic Lua script: a request is
/// counted against every rule or none, so a denied request does not use up anybody's budget. When Redis cannot be
/// reached within <see cref="RedisRequestRateLimiterOptions.Timeout"/> the call returns
/// <see cref="RateLimitDecision.NotEnforced"/> and logs a warning; callers decide what to do (the gateway falls back to
/// a local limiter).
/// </summary>
/// <remarks>
/// <para>
/// "Now" is the callers' <see cref="TimeProvider"/>, which the script receives (tests move a fake clock instead of
/// waiting): processes sharing the keys need synchronized clocks, and skew between them shifts a key's state by the
/// skew. Each key holds one number, its theoretical arrival time, and expires when the rule is back to its full burst.
/// </para>
/// <para>The keys of one call must live on one node; on Redis Cluster give them a common hash tag.</para>
/// </remarks>
public sealed class RedisRequestRateLimiter(
    IConnectionMultiplexer redis,
    IOptions<RedisRequestRateLimiterOptions> options,
    TimeProvider time,
    ILogger<RedisRequestRateLimiter> logger)
{
    // KEYS[i]: the rule's theoretical arrival time in ms; ARGV[1]: now in ms (the caller's clock);
    // ARGV[2i]: limit, ARGV[2i+1]: window in ms. Returns { allowed, remaining1, resetMs1, retryMs1, remaining2, ... }.
    private const string Script = """
        local now = tonumber(ARGV[1])
        local allowed = 1
        local tats = {}
        for i = 1, #KEYS do
          local interval = tonumber(ARGV[2 * i + 1]) / tonumber(ARGV[2 * i])
          local tat = tonumber(redis.call('GET', KEYS[i])) or 0
          if tat < now then tat = now end
          tats[i] = tat
          if tat + interval - now > tonumber(ARGV[2 * i + 1]) then allowed = 0 end
        end
        local result = { allowed }
        for i = 1, #KEYS do
          local window = tonumber(ARGV[2 * i + 1])
          local interval = window / tonumber(ARGV[2 * i])
          local tat = tats[i]
          if allowed == 1 then
            tat = tat + interval
            redis.call('SET', KEYS[i], string.format('%.17g', tat), 'PX', math.ceil(tat - now))
          end
          local remaining = math.floor((now + window - tat) / interval)
          if remaining < 0 then remaining = 0 end
          local retry = tat + interval - now - window
          if retry < 0 then retry = 0 end
          result[3 * i - 1] = remaining
          result[3 * i] = math.ceil(tat - now)
          result[3 * i + 1] = math.ceil(retry)
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
            logger.LogWarning(ex, "Rate limiter could not reach Redis within {Timeout}", _timeout);
            return RateLimitDecision.NotEnforced;
        }

        var values = (RedisResult[])result!;
        var counters = new RateLimitCounter[rules.Count];
        for (var i = 0; i < rules.Count; i++)
        {
            // A caller whose clock runs behind another's would otherwise see more than a window to wait.
            var window = (long)rules[i].Window.TotalMilliseconds;
            counters[i] = new RateLimitCounter(
                rules[i],
                (long)values[3 * i + 1],
                TimeSpan.FromMilliseconds(Math.Clamp((long)values[3 * i + 2], 0, window)),
                TimeSpan.FromMilliseconds(Math.Clamp((long)values[3 * i + 3], 0, window)));
        }

        return new RateLimitDecision((long)values[0] == 1, true, counters);
    }
}
