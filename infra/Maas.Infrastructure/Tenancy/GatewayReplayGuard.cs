using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;
using StackExchange.Redis;

namespace Maas.Infrastructure.Tenancy;

/// <summary>
/// Refuses a gateway request id seen before within the signature window (twice the allowed clock skew, the longest a
/// signed header set verifies), so a captured set of signed headers cannot be sent again. Each id is claimed in this
/// process's memory and with a Redis <c>SET NX PX</c> shared by every replica of the service. Redis unreachable or slow
/// (past <see cref="GatewaySignatureOptions.ReplayCheckTimeout"/>) costs at most that wait: the local memory alone
/// decides, so a replay to the same process is still refused, and the failure is counted.
/// </summary>
public sealed partial class GatewayReplayGuard : IDisposable
{
    private static readonly Counter Unavailable = Metrics.CreateCounter(
        "maas_gateway_replay_check_redis_unavailable_total",
        "Request ids checked for replay by local memory only, because Redis did not answer in time.");

    private readonly IConnectionMultiplexer _redis;
    private readonly ILogger<GatewayReplayGuard> _logger;
    private readonly MemoryCache _seen;
    private readonly Lock _gate = new();
    private readonly TimeSpan _window;
    private readonly TimeSpan _timeout;

    public GatewayReplayGuard(IConnectionMultiplexer redis, IOptions<GatewaySignatureOptions> options, ILogger<GatewayReplayGuard> logger)
    {
        _redis = redis;
        _logger = logger;
        _window = options.Value.AllowedClockSkew * 2;
        _timeout = options.Value.ReplayCheckTimeout;
        _seen = new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.ReplayMemoryEntries });
    }

    /// <summary>True the first time <paramref name="requestId"/> is claimed for <paramref name="audience"/> within the window; false for a replay.</summary>
    public async ValueTask<bool> TryClaimAsync(string audience, string requestId, CancellationToken cancellationToken)
    {
        var key = "maas:replay:" + audience + ":" + requestId;
        lock (_gate)
        {
            if (_seen.TryGetValue(key, out _))
            {
                return false;
            }

            _seen.Set(key, true, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _window, Size = 1 });
        }

        try
        {
            return await _redis.GetDatabase()
                .StringSetAsync(key, 1, _window, When.NotExists)
                .WaitAsync(_timeout, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Unavailable.Inc();
            LogRedisUnavailable(_logger, ex, requestId);
            return true;
        }
    }

    public void Dispose() => _seen.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replay check of request {RequestId} could not reach Redis; decided by this process's memory only")]
    private static partial void LogRedisUnavailable(ILogger logger, Exception exception, string requestId);
}
