using Maas.Gateway.Observability;
using Maas.Infrastructure.RateLimiting;
using Maas.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Maas.Gateway.RateLimiting;

/// <summary>
/// The gateway's request-rate limits: counted in Redis (<see cref="RedisRequestRateLimiter"/>, shared by all gateways)
/// and, while Redis is unreachable, in this process (<see cref="LocalRequestRateLimiter"/>) with this gateway's share of
/// each limit, instead of letting everything through. A Redis failure costs a request at most the Redis limiter's
/// timeout: a disconnected multiplexer is not asked at all, and after a failure Redis is left alone for
/// <see cref="RateLimiterOptions.RedisRetryInterval"/> (counted locally meanwhile).
/// </summary>
public sealed partial class GatewayRateLimiter : IDisposable
{
    private readonly RedisRequestRateLimiter _redis;
    private readonly IConnectionMultiplexer _connection;
    private readonly LocalRequestRateLimiter _local;
    private readonly RateLimiterOptions _options;
    private readonly ILogger<GatewayRateLimiter> _logger;

    /// <summary><see cref="Environment.TickCount64"/> until which Redis is not asked (real time, whatever clock the limits run on).</summary>
    private long _redisRetryAt;

    public GatewayRateLimiter(
        RedisRequestRateLimiter redis,
        IConnectionMultiplexer connection,
        IOptions<RateLimiterOptions> options,
        TimeProvider time,
        ILogger<GatewayRateLimiter> logger)
    {
        _redis = redis;
        _connection = connection;
        _options = options.Value;
        _logger = logger;
        _local = new LocalRequestRateLimiter(_options.LocalMaxKeys, time);
    }

    /// <summary>Counts one request against every rule if all have room; <c>Local</c> says the count was this gateway's alone.</summary>
    public async Task<(RateLimitDecision Decision, bool Local)> AcquireAsync(IReadOnlyList<RateLimitRule> rules, CancellationToken cancellationToken)
    {
        if (Environment.TickCount64 >= Volatile.Read(ref _redisRetryAt) && _connection.IsConnected)
        {
            var decision = await _redis.AcquireAsync(rules, cancellationToken);
            if (decision.Enforced)
            {
                return (decision, false);
            }

            Volatile.Write(ref _redisRetryAt, Environment.TickCount64 + (long)_options.RedisRetryInterval.TotalMilliseconds);
            LogFallingBack(_logger, _options.RedisRetryInterval, _options.FallbackShare);
        }

        var share = new RateLimitRule[rules.Count];
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            share[i] = rule with { Limit = Math.Max(1, (int)Math.Ceiling(rule.Limit * _options.FallbackShare)) };
        }

        GatewayMetrics.RateLimiterUnavailable.Inc();
        return (_local.Acquire(share), true);
    }

    public void Dispose() => _local.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis did not answer the rate limiter; counting locally with a share of {Share} of each limit for {Interval}")]
    private static partial void LogFallingBack(ILogger logger, TimeSpan interval, double share);
}
