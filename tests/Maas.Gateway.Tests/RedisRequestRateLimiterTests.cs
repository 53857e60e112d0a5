using Maas.Gateway.Tests.Support;
using Maas.Infrastructure.Redis;
using Maas.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Xunit;

namespace Maas.Gateway.Tests;

/// <summary>The shared limiter (infra/Maas.Infrastructure/Redis) against the real test Redis.</summary>
public sealed class RedisRequestRateLimiterTests : IAsyncLifetime
{
    private ConnectionMultiplexer _redis = null!;
    private RedisRequestRateLimiter _limiter = null!;

    public async Task InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        // A generous timeout: on a busy test machine a slow answer would fail open and hide the counting.
        _limiter = new RedisRequestRateLimiter(
            _redis,
            Options.Create(new RedisRequestRateLimiterOptions { Timeout = TimeSpan.FromSeconds(10) }),
            NullLogger<RedisRequestRateLimiter>.Instance);
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Allows_up_to_the_limit_then_denies_without_counting_the_denied_request()
    {
        var rule = new RateLimitRule(UniqueKey(), 2, TimeSpan.FromMinutes(1));

        var first = await _limiter.AcquireAsync([rule], CancellationToken.None);
        var second = await _limiter.AcquireAsync([rule], CancellationToken.None);
        var third = await _limiter.AcquireAsync([rule], CancellationToken.None);

        Assert.True(first.Allowed && first.Enforced);
        Assert.Equal(1, first.Counters[0].Count);
        Assert.True(second.Allowed);
        Assert.Equal(0, second.Counters[0].Remaining);
        Assert.False(third.Allowed);
        Assert.Equal(2, third.Counters[0].Count);
        Assert.InRange(third.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Assert.Equal(2, (long)await _redis.GetDatabase().StringGetAsync(rule.Key));
    }

    [Fact]
    public async Task Counter_starts_again_after_the_window()
    {
        // A window long enough that the second call lands inside it even on a loaded test machine (300 ms
        // was once exceeded between two calls while other test assemblies ran).
        var rule = new RateLimitRule(UniqueKey(), 1, TimeSpan.FromMilliseconds(1500));
        Assert.True((await _limiter.AcquireAsync([rule], CancellationToken.None)).Allowed);
        Assert.False((await _limiter.AcquireAsync([rule], CancellationToken.None)).Allowed);

        await Task.Delay(TimeSpan.FromMilliseconds(2000));

        Assert.True((await _limiter.AcquireAsync([rule], CancellationToken.None)).Allowed);
    }

    [Fact]
    public async Task A_request_denied_by_one_rule_is_not_counted_by_the_others()
    {
        var roomy = new RateLimitRule(UniqueKey(), 10, TimeSpan.FromMinutes(1));
        var tight = new RateLimitRule(UniqueKey(), 1, TimeSpan.FromMinutes(1));
        Assert.True((await _limiter.AcquireAsync([roomy, tight], CancellationToken.None)).Allowed);

        var denied = await _limiter.AcquireAsync([roomy, tight], CancellationToken.None);

        Assert.False(denied.Allowed);
        Assert.Equal(1, denied.Counters[0].Count);
        Assert.True(denied.Counters[1].Exhausted);
        Assert.Same(denied.Counters[1], denied.Tightest);
    }

    [Fact]
    public async Task Concurrent_callers_never_exceed_the_limit()
    {
        var rule = new RateLimitRule(UniqueKey(), 10, TimeSpan.FromMinutes(1));

        var decisions = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _limiter.AcquireAsync([rule], CancellationToken.None)));

        Assert.All(decisions, d => Assert.True(d.Enforced));
        Assert.Equal(10, decisions.Count(d => d.Allowed));
    }

    [Fact]
    public async Task Unreachable_redis_fails_open()
    {
        var options = ConfigurationOptions.Parse($"127.0.0.1:{GatewayRequests.UnusedPort()},connectTimeout=300");
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        await using var dead = await ConnectionMultiplexer.ConnectAsync(options);
        var limiter = new RedisRequestRateLimiter(dead, Options.Create(new RedisRequestRateLimiterOptions()), NullLogger<RedisRequestRateLimiter>.Instance);

        var decision = await limiter.AcquireAsync([new RateLimitRule(UniqueKey(), 1, TimeSpan.FromMinutes(1))], CancellationToken.None);

        Assert.True(decision.Allowed);
        Assert.False(decision.Enforced);
    }

    private static string UniqueKey() => "maas:rl:test:" + Guid.NewGuid().ToString("N");
}
