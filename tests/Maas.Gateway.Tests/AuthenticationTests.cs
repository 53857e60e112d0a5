using System.Diagnostics;
using System.Net;
using Maas.Gateway.Tests.Support;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;
using Xunit;

namespace Maas.Gateway.Tests;

public sealed class AuthenticationTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private const string MissingKeyMessage =
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";

    private HttpClient Client => fixture.Gateway.Client;

    [Fact]
    public async Task Missing_key_gets_401_invalid_api_key_in_openai_shape()
    {
        using var response = await Client.SendAsync(GatewayRequests.Get("/v1/models", null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await GatewayRequests.ReadErrorAsync(response);
        Assert.Equal((MissingKeyMessage, "invalid_request_error", (string?)null, "invalid_api_key"), error);
        Assert.True(response.Headers.Contains("x-request-id"));
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer")]
    [InlineData("Bearer    ")]
    [InlineData("sk-maas-nobearerprefix")]
    public async Task Malformed_authorization_header_gets_401_invalid_api_key(string header)
    {
        var request = GatewayRequests.Get("/v1/models", null);
        request.Headers.TryAddWithoutValidation("Authorization", header);

        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await GatewayRequests.ReadErrorAsync(response);
        Assert.Equal((MissingKeyMessage, "invalid_request_error", (string?)null, "invalid_api_key"), error);
    }

    [Fact]
    public async Task Unknown_key_gets_401_invalid_api_key_without_echoing_the_secret()
    {
        var secret = ApiKeySecret.Create();

        using var response = await Client.SendAsync(GatewayRequests.Get("/v1/models", secret));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await GatewayRequests.ReadErrorAsync(response);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Equal("invalid_api_key", error.Code);
        Assert.Null(error.Param);
        Assert.StartsWith("Incorrect API key provided: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_of_a_disabled_tenant_gets_401()
    {
        var tenant = await TestTenants.CreateTenantAsync(fixture.Database, disabled: true);
        var key = await TestTenants.CreateKeyAsync(fixture.Database, tenant);

        using var response = await Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await GatewayRequests.ReadErrorAsync(response);
        Assert.Equal("invalid_api_key", error.Code);
        Assert.Contains("disabled", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoked_key_is_refused_on_the_notice_long_before_its_cache_entry_expires()
    {
        // A long TTL, so only the pub/sub notice can explain the key being refused in time.
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["Maas:Gateway:ApiKeyCacheTtl"] = "00:05:00" });
        await gateway.RevocationSubscriptionReady();
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);
        using (var before = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await using (var db = fixture.Database.CreateContext())
        {
            await db.ApiKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTimeOffset.UtcNow));
        }

        // Still cached as active: the database change alone does not reach the gateway.
        using (var cached = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret)))
        {
            Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration);
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal("maas:api-keys:revoked"), key.Id.ToString("D"));

        // Delivery is asynchronous, so poll; the deadline is a tenth of the cache TTL, which is not a speed requirement.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);

        HttpStatusCode status;
        do
        {
            using var response = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));
            status = response.StatusCode;
            if (status == HttpStatusCode.Unauthorized)
            {
                var error = await GatewayRequests.ReadErrorAsync(response);
                Assert.Equal("invalid_api_key", error.Code);
                Assert.Contains("revoked", error.Message, StringComparison.Ordinal);
                break;
            }

            await Task.Delay(20);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task Without_a_notice_the_cache_ttl_bounds_how_long_a_revoked_key_works()
    {
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["Maas:Gateway:ApiKeyCacheTtl"] = "00:00:00.300" });
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);
        using (var before = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await using (var db = fixture.Database.CreateContext())
        {
            await db.ApiKeys.Where(k => k.Id == key.Id).ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, DateTimeOffset.UtcNow));
        }

        var revoked = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var response = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));
            status = response.StatusCode;
            await Task.Delay(50);
        }
        while (status != HttpStatusCode.Unauthorized && revoked.Elapsed < TimeSpan.FromSeconds(5));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task Postgres_down_gets_503_service_unavailable_not_500()
    {
        var deadPostgres = $"Host=127.0.0.1;Port={GatewayRequests.UnusedPort()};Username=maas;Password=maas;Database=maas;Timeout=2";
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = deadPostgres });

        using var response = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", ApiKeySecret.Create()));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var error = await GatewayRequests.ReadErrorAsync(response);
        Assert.Equal("service_unavailable", error.Code);
        Assert.DoesNotContain("Exception", error.Message, StringComparison.Ordinal);
        using var ready = await gateway.Management.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }
}
