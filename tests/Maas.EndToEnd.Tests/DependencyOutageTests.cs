using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Npgsql;
using StackExchange.Redis;

namespace Maas.EndToEnd.Tests;

/// <summary>
/// Issue 16, item 8, with real processes: a gateway whose PostgreSQL and Redis connections go through
/// <see cref="TcpProxy"/>s keeps serving when they are cut (as if those servers stopped): keys it verified before are
/// served for the stale period, unknown keys get 503, and rate limits are counted locally (its share) within the
/// limiter's time budget instead of letting everything through. The api and worker keep their own connections.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class DependencyOutageTests(PlatformFixture platform)
{
    [Fact]
    public async Task A_gateway_cut_off_from_postgres_and_redis_keeps_serving_known_keys_within_their_limits()
    {
        var postgresPort = new NpgsqlConnectionStringBuilder(platform.Database.ConnectionString).Port;
        var redisPort = int.Parse(TestEnvironment.RedisConfiguration.Split(':')[^1], CultureInfo.InvariantCulture);
        await using var postgres = TcpProxy.To("127.0.0.1", postgresPort);
        await using var redis = TcpProxy.To("127.0.0.1", redisPort);
        var limited = await platform.CreateTenantAsync("e2e-outage-" + Guid.NewGuid().ToString("N")[..8], [], requestsPerMinute: 2);
        await using var gateway = await platform.StartAnotherGatewayWithSettingsAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings:Postgres"] = new NpgsqlConnectionStringBuilder(platform.Database.ConnectionString) { Port = postgres.Port, Timeout = 2 }.ConnectionString,
            ["ConnectionStrings:Redis"] = $"127.0.0.1:{redis.Port},connectTimeout=500",
            ["Maas:Gateway:ApiKeyCacheTtl"] = "00:00:01",
            ["Maas:Gateway:ApiKeyStaleTtl"] = "00:10:00",
            ["Maas:RateLimiter:Timeout"] = "00:00:00.300",
        });
        using var main = Client(gateway, platform.Main);
        using var limitedClient = Client(gateway, limited);
        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(main));
        Assert.Equal(HttpStatusCode.OK, (await limitedClient.GetAsync("/v1/models")).StatusCode);

        postgres.Cut();
        redis.Cut();
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        // Known keys, past their 1 s cache lifetime: served from what PostgreSQL said last, through api and worker.
        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(main));
        using (var unknown = Client(gateway, new TestTenant("nobody", ApiKeySecret.Create(), Guid.Empty)))
        {
            using var response = await unknown.GetAsync("/v1/models");
            await OpenAiErrorShape.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "service_unavailable");
        }

        // Two a minute, counted by this gateway alone: the key already used one in Redis, but locally it starts full.
        var statuses = new List<HttpStatusCode>();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 3; i++)
        {
            var started = Stopwatch.StartNew();
            using var response = await limitedClient.GetAsync("/v1/models");
            slowest = started.Elapsed > slowest ? started.Elapsed : slowest;
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(slowest < TimeSpan.FromSeconds(1.5), $"slowest request with Redis cut: {slowest.TotalMilliseconds:F0} ms (budget 300 ms)");

        postgres.Restore();
        redis.Restore();
        var deadline = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var response = await main.GetAsync("/v1/models");
            status = response.StatusCode;
        }
        while (status != HttpStatusCode.OK && deadline.Elapsed < TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.OK, status);
    }

    private static HttpClient Client(ServiceProcess gateway, TestTenant tenant)
    {
        var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromMinutes(1) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tenant.Secret);
        return http;
    }

    private static async Task<HttpStatusCode> ChatStatusAsync(HttpClient client)
    {
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = PlatformFixture.Model, max_tokens = 2, messages = new[] { new { role = "user", content = "Line 3 status?" } } });
        return response.StatusCode;
    }
}
