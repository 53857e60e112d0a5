using System.ComponentModel.DataAnnotations;

namespace Maas.Gateway.RateLimiting;

/// <summary>How the gateway limits request rates when Redis cannot (configuration section "Maas:RateLimiter", next to the Redis limiter's Timeout).</summary>
public sealed class RateLimiterOptions
{
    public const string SectionName = "Maas:RateLimiter";

    /// <summary>
    /// This gateway's share of every limit while it counts locally because Redis is unreachable: 1 with one gateway,
    /// 1/N with N gateways behind a load balancer that spreads requests evenly.
    /// </summary>
    [Range(0.001, 1.0)]
    public double FallbackShare { get; set; } = 1.0;

    /// <summary>After Redis failed to answer, how long requests are limited locally before Redis is asked again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RedisRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Keys (API keys and tenants) the local limiter keeps at most.</summary>
    [Range(1000, 10_000_000)]
    public int LocalMaxKeys { get; set; } = 100_000;
}
