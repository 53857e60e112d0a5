namespace Maas.Infrastructure.Redis;

/// <summary>Settings of <see cref="RedisRequestRateLimiter"/>.</summary>
public sealed class RedisRequestRateLimiterOptions
{
    /// <summary>How long to wait for Redis before failing open; a slow Redis must not slow every request.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(500);
}
