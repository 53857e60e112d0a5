using Maas.Infrastructure.RateLimiting;
using Maas.Infrastructure.Redis;
using Maas.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Xunit;

namespace Maas.Gateway.Tests;

/// <summary>
/// The local limiter the gateway counts with while Redis is away (and for failed authentications) applies the same
/// GCRA as the Redis script: the same sequence of requests on the same clock gets the same decisions and counters.
/// </summary>
public sealed class LocalRequestRateLimiterTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Decisions_and_counters_equal_the_redis_limiters_on_the_same_clock()
    {
        var redis = new RedisRequestRateLimiter(_redis, Options.Create(new RedisRequestRateLimiterOptions { Timeout = TimeSpan.FromSeconds(10) }), _clock, NullLogger<RedisRequestRateLimiter>.Instance);
        using var local = new LocalRequestRateLimiter(1000, _clock);
        var suffix = Guid.NewGuid().ToString("N");
        RateLimitRule[] rules = [new("maas:gcra:test:a:" + suffix, 5, TimeSpan.FromMinutes(1)), new("maas:gcra:test:b:" + suffix, 3, TimeSpan.FromSeconds(10))];
        var random = new Random(16);

        for (var step = 0; step < 200; step++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(random.Next(0, 4000)));
            var fromRedis = await redis.AcquireAsync(rules, CancellationToken.None);
            var fromMemory = local.Acquire(rules);

            Assert.True(fromRedis.Enforced);
            Assert.Equal(fromRedis.Allowed, fromMemory.Allowed);
            Assert.Equal(fromRedis.Counters, fromMemory.Counters);
        }
    }

    [Fact]
    public void Peeking_counts_nothing()
    {
        using var local = new LocalRequestRateLimiter(1000, _clock);
        var rule = new RateLimitRule("peek", 1, TimeSpan.FromMinutes(1));

        Assert.False(local.IsExhausted(rule, out _));
        Assert.False(local.IsExhausted(rule, out _));
        Assert.True(local.Acquire([rule]).Allowed);
        Assert.True(local.IsExhausted(rule, out var retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(1), retryAfter);
    }
}
