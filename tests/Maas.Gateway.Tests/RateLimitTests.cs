using System.Net;
using Maas.Gateway.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Maas.Gateway.Tests;

/// <summary>Per-key and per-tenant limits (GCRA) through the real gateway and Redis; time passes on a fake clock, never by waiting.</summary>
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
        // Three a minute: one request's worth comes back every 20 s.
        var retryAfter = int.Parse(Header(limited, "Retry-After"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 20);
        Assert.Equal("3", Header(limited, "x-ratelimit-limit-requests"));
        Assert.Equal("0", Header(limited, "x-ratelimit-remaining-requests"));
    }

    [Fact]
    public async Task A_limited_key_gets_one_request_back_per_limit_interval_not_a_whole_window_at_once()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = await fixture.StartGatewayAsync(clock: clock);
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database, keyRequestsPerMinute: 2);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, key));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, key));

        clock.Advance(TimeSpan.FromSeconds(15));
        using var limited = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));
        clock.Advance(TimeSpan.FromSeconds(15));
        using var oneBack = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));
        using var stillLimited = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));

        // Two a minute: a request comes back every 30 s, and the full burst 60 s after the last one.
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("15", Header(limited, "Retry-After"));
        Assert.Equal("45s", Header(limited, "x-ratelimit-reset-requests"));
        Assert.Equal(HttpStatusCode.OK, oneBack.StatusCode);
        Assert.Equal("0", Header(oneBack, "x-ratelimit-remaining-requests"));
        Assert.Equal("1m0s", Header(oneBack, "x-ratelimit-reset-requests"));
        Assert.Equal(HttpStatusCode.TooManyRequests, stillLimited.StatusCode);
        Assert.Equal("30", Header(stillLimited, "Retry-After"));
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
    public async Task Redis_down_limits_each_gateway_to_its_share_of_the_limit()
    {
        var deadRedis = $"127.0.0.1:{GatewayRequests.UnusedPort()},connectTimeout=500";
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = deadRedis,
            ["Maas:RateLimiter:FallbackShare"] = "0.5",
        });
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database, keyRequestsPerMinute: 4);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));
            statuses.Add(response.StatusCode);
            Assert.Equal("2", Header(response, "x-ratelimit-limit-requests"));
        }

        // Half of 4 a minute for this gateway (two gateways would each get half).
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        using var metrics = await gateway.Management.GetAsync("/metrics");
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
