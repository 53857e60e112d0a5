using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Maas.Infrastructure.Redis;

/// <summary>
/// Readiness: the shared multiplexer is connected and answers PING within a short timeout. When it does not, the
/// check reports its registration's failure status (Unhealthy or Degraded: the process decides, see AddMaasRedis).
/// </summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var endpoints = string.Join(",", redis.GetEndPoints().Select(e => e.ToString()));
        if (!redis.IsConnected)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"Redis {endpoints} not connected");
        }

        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy($"Redis {endpoints} PING {latency.TotalMilliseconds:F1} ms");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"Redis {endpoints} unreachable: {ex.Message}", ex);
        }
    }
}
