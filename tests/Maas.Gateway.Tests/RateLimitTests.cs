using System.Net;
using Maas.Gateway.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Maas.Gateway.Tests;

/// <summary>Per-key and per-tenant limits through the real gateway and Redis; window ends on a fake clock, never by waiting.</summary>
public sealed class RateLimitTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Per_key_limit_gives_429_with_retry_after_and_ratelimit_headers()
    {
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database, tenantRequestsPerMinute: 1000, keyRequestsPerMinute: 3);

        for (var i = 1; i <= 3; i++)
        {
            using var allowed = await fixture.Gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            Assert.Equal("3", Header(allowed, "x-ratelimit-limit-requests"));
            Assert.Equal((3 - i).ToString(System.Globalization.CultureInfo.InvariantCulture), Header(allowed, "x-ratelimit-remaining-requests"));
            Assert.Matches(@"^(\d+ms|\d+s|\d+m\d+s)$", Header(allowed, "x-ratelimit-reset-requests"));
        }

        using var limited = await fixture.Gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var error = await GatewayRequests.ReadErrorAsync(limited);
        Assert.Equal(("requests", "rate_limit_exceeded"), (error.Type, error.Code));
        var retryAfter = int.Parse(Header(limited, "Retry-After"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal("3", Header(limited, "x-ratelimit-limit-requests"));
        Assert.Equal("0", Header(limited, "x-ratelimit-remaining-requests"));
    }

    [Fact]
    public async Task Key_limited_for_the_rest_of_its_window_is_allowed_again_in_the_next_window()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = await fixture.StartGatewayAsync(clock: clock);
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database, keyRequestsPerMinute: 2);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, key));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, key));

        clock.Advance(TimeSpan.FromSeconds(45));
        using var limited = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));
        clock.Advance(TimeSpan.FromSeconds(15));
        using var nextWindow = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("15", Header(limited, "Retry-After"));
        Assert.Equal("15s", Header(limited, "x-ratelimit-reset-requests"));
        Assert.Equal(HttpStatusCode.OK, nextWindow.StatusCode);
        Assert.Equal("1", Header(nextWindow, "x-ratelimit-remaining-requests"));
        Assert.Equal("1m0s", Header(nextWindow, "x-ratelimit-reset-requests"));
    }

    [Fact]
    public async Task Per_tenant_limit_is_shared_by_the_tenants_keys()
    {
        var tenant = await TestTenants.CreateTenantAsync(fixture.Database, requestsPerMinute: 3);
        var first = await TestTenants.CreateKeyAsync(fixture.Database, tenant, requestsPerMinute: 100);
        var second = await TestTenants.CreateKeyAsync(fixture.Database, tenant, requestsPerMinute: 100);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(fixture.Gateway, first));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(fixture.Gateway, first));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(fixture.Gateway, second));

        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(fixture.Gateway, second));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(fixture.Gateway, first));
    }

    [Fact]
    public async Task Two_gateways_sharing_redis_share_the_count()
    {
        await using var other = await fixture.StartGatewayAsync();
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database, keyRequestsPerMinute: 3);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(fixture.Gateway, key));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(other, key));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(fixture.Gateway, key));

        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(other, key));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(fixture.Gateway, key));
    }

    [Fact]
    public async Task Redis_down_lets_requests_through_without_limits()
    {
        var deadRedis = $"127.0.0.1:{GatewayRequests.UnusedPort()},connectTimeout=500";
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = deadRedis });
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database, keyRequestsPerMinute: 1);

        for (var i = 0; i < 3; i++)
        {
            using var response = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains("x-ratelimit-limit-requests"));
        }

        using var metrics = await gateway.Client.GetAsync("/metrics");
        Assert.Contains("maas_gateway_rate_limiter_unavailable_total", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> StatusAsync(GatewayInstance gateway, TestKey key)
    {
        using var response = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));
        return response.StatusCode;
    }

    private static string Header(HttpResponseMessage response, string name) =>
        Assert.Single(response.Headers.GetValues(name));
}
