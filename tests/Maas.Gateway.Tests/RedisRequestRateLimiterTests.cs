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
/// The shared limiter (infra/Maas.Infrastructure/Redis) against the real test Redis. Windows pass on a fake clock:
/// the limiter takes "now" from its TimeProvider, so a minute-long window ends when the test says so.
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
    public async Task Allows_up_to_the_limit_then_denies_without_counting_the_denied_request()
    {
        var rule = new RateLimitRule(UniqueKey(), 2, Minute);

        var first = await _limiter.AcquireAsync([rule], CancellationToken.None);
        var second = await _limiter.AcquireAsync([rule], CancellationToken.None);
        var third = await _limiter.AcquireAsync([rule], CancellationToken.None);

        Assert.True(first.Allowed && first.Enforced);
        Assert.Equal(1, first.Counters[0].Count);
        Assert.True(second.Allowed);
        Assert.Equal(0, second.Counters[0].Remaining);
        Assert.False(third.Allowed);
        Assert.Equal(2, third.Counters[0].Count);
        Assert.Equal(Minute, third.RetryAfter);
        Assert.Equal(2, (long)await _redis.GetDatabase().HashGetAsync(rule.Key, "count"));
    }

    [Fact]
    public async Task Counter_starts_again_when_the_window_has_passed_on_the_clock()
    {
        var rule = new RateLimitRule(UniqueKey(), 1, Minute);
        Assert.True((await _limiter.AcquireAsync([rule], CancellationToken.None)).Allowed);

        _clock.Advance(Minute - TimeSpan.FromSeconds(1));
        var lastSecond = await _limiter.AcquireAsync([rule], CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var nextWindow = await _limiter.AcquireAsync([rule], CancellationToken.None);

        Assert.False(lastSecond.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(1), lastSecond.RetryAfter);
        Assert.True(nextWindow.Allowed);
        Assert.Equal(1, nextWindow.Counters[0].Count);
        Assert.Equal(Minute, nextWindow.Counters[0].ResetAfter);
    }

    [Fact]
    public async Task Window_starts_at_its_first_request_and_reset_counts_down_with_the_clock()
    {
        var rule = new RateLimitRule(UniqueKey(), 10, Minute);
        _clock.Advance(TimeSpan.FromSeconds(7));
        var first = await _limiter.AcquireAsync([rule], CancellationToken.None);

        _clock.Advance(TimeSpan.FromSeconds(20));
        var second = await _limiter.AcquireAsync([rule], CancellationToken.None);

        Assert.Equal(Minute, first.Counters[0].ResetAfter);
        Assert.Equal(TimeSpan.FromSeconds(40), second.Counters[0].ResetAfter);
        Assert.Equal(2, second.Counters[0].Count);
    }

    [Fact]
    public async Task Two_limiters_with_the_same_clock_share_one_window()
    {
        var rule = new RateLimitRule(UniqueKey(), 2, Minute);
        await using var otherConnection = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        var other = new RedisRequestRateLimiter(otherConnection, Options.Create(new RedisRequestRateLimiterOptions { Timeout = TimeSpan.FromSeconds(10) }), _clock, NullLogger<RedisRequestRateLimiter>.Instance);

        Assert.True((await _limiter.AcquireAsync([rule], CancellationToken.None)).Allowed);
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.True((await other.AcquireAsync([rule], CancellationToken.None)).Allowed);
        var denied = await _limiter.AcquireAsync([rule], CancellationToken.None);

        Assert.False(denied.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(30), denied.RetryAfter);
    }

    [Fact]
    public async Task Idle_counter_is_left_to_expire_in_redis_a_window_after_its_window_ends()
    {
        var rule = new RateLimitRule(UniqueKey(), 5, Minute);
        await _limiter.AcquireAsync([rule], CancellationToken.None);

        var ttl = await _redis.GetDatabase().KeyTimeToLiveAsync(rule.Key);

        // Two windows from the first request: the window itself, then one more against clock skew between callers.
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, Minute + TimeSpan.FromSeconds(50), 2 * Minute);
    }

    [Fact]
    public async Task A_request_denied_by_one_rule_is_not_counted_by_the_others()
    {
        var roomy = new RateLimitRule(UniqueKey(), 10, Minute);
        var tight = new RateLimitRule(UniqueKey(), 1, Minute);
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
        var rule = new RateLimitRule(UniqueKey(), 10, Minute);

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
        var limiter = new RedisRequestRateLimiter(dead, Options.Create(new RedisRequestRateLimiterOptions()), _clock, NullLogger<RedisRequestRateLimiter>.Instance);

        var decision = await limiter.AcquireAsync([new RateLimitRule(UniqueKey(), 1, Minute)], CancellationToken.None);

        Assert.True(decision.Allowed);
        Assert.False(decision.Enforced);
    }

    private static string UniqueKey() => "maas:rl:test:" + Guid.NewGuid().ToString("N");
}
