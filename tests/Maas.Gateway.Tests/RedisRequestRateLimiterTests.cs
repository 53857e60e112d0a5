using Maas.Gateway.Tests.Support;
using Maas.Infrastructure.Redis;
using Maas.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Xunit;

namespace Maas.Gateway.Tests;

/// <summary>
/// The shared GCRA limiter (infra/Maas.Infrastructure/Redis) against the real test Redis. Time passes on a fake clock:
/// the limiter takes "now" from its TimeProvider, so a minute-long window passes when the test says so.
/// </summary>
public sealed class RedisRequestRateLimiterTests : IAsyncLifetime
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ConnectionMultiplexer _redis = null!;
    private RedisRequestRateLimiter _limiter = null!;

    public async Task InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        // A generous timeout: on a busy test machine a slow answer would fail open and hide the counting.
        _limiter = new RedisRequestRateLimiter(
            _redis,
            Options.Create(new RedisRequestRateLimiterOptions { Timeout = TimeSpan.FromSeconds(10) }),
            _clock,
            NullLogger<RedisRequestRateLimiter>.Instance);
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Allows_a_burst_up_to_the_limit_then_denies_without_counting_the_denied_request()
    {
        var rule = new RateLimitRule(UniqueKey(), 2, Minute);

        var first = await _limiter.AcquireAsync([rule], CancellationToken.None);
        var second = await _limiter.AcquireAsync([rule], CancellationToken.None);
        var third = await _limiter.AcquireAsync([rule], CancellationToken.None);
        var fourth = await _limiter.AcquireAsync([rule], CancellationToken.None);

        Assert.True(first.Allowed && first.Enforced);
        Assert.Equal(1, first.Counters[0].Remaining);
        Assert.True(second.Allowed);
        Assert.Equal(0, second.Counters[0].Remaining);
        Assert.False(third.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(30), third.RetryAfter);
        Assert.Equal(Minute, third.Counters[0].ResetAfter);
        Assert.Equal(third.Counters[0], fourth.Counters[0]);
    }

    [Fact]
    public async Task One_request_comes_back_per_interval_on_the_clock()
    {
        var rule = new RateLimitRule(UniqueKey(), 2, Minute);
        Assert.True((await _limiter.AcquireAsync([rule], CancellationToken.None)).Allowed);
        Assert.True((await _limiter.AcquireAsync([rule], CancellationToken.None)).Allowed);

        _clock.Advance(TimeSpan.FromSeconds(29));
        var early = await _limiter.AcquireAsync([rule], CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var back = await _limiter.AcquireAsync([rule], CancellationToken.None);

        Assert.False(early.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(1), early.RetryAfter);
        Assert.True(back.Allowed);
        Assert.Equal(0, back.Counters[0].Remaining);
    }

    [Fact]
    public async Task An_idle_rule_is_back_to_its_full_burst_after_one_window()
    {
        var rule = new RateLimitRule(UniqueKey(), 10, Minute);
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await _limiter.AcquireAsync([rule], CancellationToken.None)).Allowed);
        }

        _clock.Advance(Minute);
        var next = await _limiter.AcquireAsync([rule], CancellationToken.None);

        Assert.True(next.Allowed);
        Assert.Equal(9, next.Counters[0].Remaining);
        Assert.Equal(TimeSpan.FromSeconds(6), next.Counters[0].ResetAfter);
    }

    [Fact]
    public async Task No_more_than_the_limit_passes_around_a_window_boundary()
    {
        // A fixed window admits the limit at its end and again at the next one's start; GCRA does not.
        var rule = new RateLimitRule(UniqueKey(), 10, Minute);
        _clock.Advance(TimeSpan.FromSeconds(59));
        var atTheEnd = 0;
        for (var i = 0; i < 10; i++)
        {
            atTheEnd += (await _limiter.AcquireAsync([rule], CancellationToken.None)).Allowed ? 1 : 0;
        }

        _clock.Advance(TimeSpan.FromSeconds(2));
        var justAfter = 0;
        for (var i = 0; i < 10; i++)
        {
            justAfter += (await _limiter.AcquireAsync([rule], CancellationToken.None)).Allowed ? 1 : 0;
        }

        Assert.Equal(10, atTheEnd);
        Assert.Equal(0, justAfter);
    }

    [Fact]
    public async Task Two_limiters_with_the_same_clock_share_one_state()
    {
        var rule = new RateLimitRule(UniqueKey(), 2, Minute);
        await using var otherConnection = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        var other = new RedisRequestRateLimiter(otherConnection, Options.Create(new RedisRequestRateLimiterOptions { Timeout = TimeSpan.FromSeconds(10) }), _clock, NullLogger<RedisRequestRateLimiter>.Instance);

        Assert.True((await _limiter.AcquireAsync([rule], CancellationToken.None)).Allowed);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True((await other.AcquireAsync([rule], CancellationToken.None)).Allowed);
        var denied = await _limiter.AcquireAsync([rule], CancellationToken.None);

        Assert.False(denied.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(20), denied.RetryAfter);
    }

    [Fact]
    public async Task The_state_expires_in_redis_when_the_rule_is_back_to_its_full_burst()
    {
        var rule = new RateLimitRule(UniqueKey(), 5, Minute);
        await _limiter.AcquireAsync([rule], CancellationToken.None);
        await _limiter.AcquireAsync([rule], CancellationToken.None);

        var ttl = await _redis.GetDatabase().KeyTimeToLiveAsync(rule.Key);

        // Two requests of five a minute: full again 24 s later, so the key lives that long.
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(24));
    }

    [Fact]
    public async Task A_request_denied_by_one_rule_is_not_counted_by_the_others()
    {
        var roomy = new RateLimitRule(UniqueKey(), 10, Minute);
        var tight = new RateLimitRule(UniqueKey(), 1, Minute);
        Assert.True((await _limiter.AcquireAsync([roomy, tight], CancellationToken.None)).Allowed);

        var denied = await _limiter.AcquireAsync([roomy, tight], CancellationToken.None);

        Assert.False(denied.Allowed);
        Assert.Equal(9, denied.Counters[0].Remaining);
        Assert.True(denied.Counters[1].Exhausted);
        Assert.Same(denied.Counters[1], denied.Tightest);
    }

    [Fact]
    public async Task Concurrent_callers_never_exceed_the_limit()
    {
        var rule = new RateLimitRule(UniqueKey(), 10, Minute);

        var decisions = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _limiter.AcquireAsync([rule], CancellationToken.None)));

        Assert.All(decisions, d => Assert.True(d.Enforced));
        Assert.Equal(10, decisions.Count(d => d.Allowed));
    }

    [Fact]
    public async Task Unreachable_redis_is_reported_as_not_enforced()
    {
        var options = ConfigurationOptions.Parse($"127.0.0.1:{GatewayRequests.UnusedPort()},connectTimeout=300");
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        await using var dead = await ConnectionMultiplexer.ConnectAsync(options);
        var limiter = new RedisRequestRateLimiter(dead, Options.Create(new RedisRequestRateLimiterOptions()), _clock, NullLogger<RedisRequestRateLimiter>.Instance);

        var decision = await limiter.AcquireAsync([new RateLimitRule(UniqueKey(), 1, Minute)], CancellationToken.None);

        Assert.True(decision.Allowed);
        Assert.False(decision.Enforced);
    }

    private static string UniqueKey() => "maas:rl:test:" + Guid.NewGuid().ToString("N");
}
