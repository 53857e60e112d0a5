using System.Diagnostics;
using System.Net;
using Maas.Gateway.Tests.Support;
using Maas.Infrastructure.Tenancy;
using Maas.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Xunit;

namespace Maas.Gateway.Tests;

/// <summary>
/// Issue 16, items 5 and 8 at the gateway: malformed keys cost nothing, failed authentications are limited per
/// address, and the gateway keeps serving (limits counted locally, known keys served for a bounded stale period)
/// while Redis or PostgreSQL is away. Outages are made with a <see cref="TcpProxy"/> in front of the real servers.
/// </summary>
public sealed class EdgeHardeningTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Theory]
    [InlineData("sk-maas-short")]
    [InlineData("sk-maas-0123456789012345678901234567890123456789extra")]
    [InlineData("sk-other-0123456789012345678901234567890123456789")]
    [InlineData("sk-maas-01234567890123456789012345678901234567!!")]
    [InlineData("not-a-key-at-all")]
    public async Task A_malformed_key_is_refused_without_asking_the_database(string secret)
    {
        // PostgreSQL is unreachable: any lookup would be a 503; a 401 shows no lookup was made.
        var deadPostgres = $"Host=127.0.0.1;Port={GatewayRequests.UnusedPort()};Username=maas;Password=maas;Database=maas;Timeout=2";
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = deadPostgres });

        using var malformed = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", secret));
        using var wellFormed = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", ApiKeySecret.Create()));

        Assert.Equal(HttpStatusCode.Unauthorized, malformed.StatusCode);
        Assert.Equal("invalid_api_key", (await GatewayRequests.ReadErrorAsync(malformed)).Code);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, wellFormed.StatusCode);
    }

    [Fact]
    public async Task An_address_that_used_up_its_failed_authentications_gets_429_even_with_a_valid_key_and_others_do_not()
    {
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?> { ["Maas:Gateway:FailedAuthenticationsPerMinute"] = "3" });
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);
        using var other = LoopbackClients.From(IPAddress.Parse("127.0.0.2"), gateway.BaseAddress);

        for (var i = 0; i < 3; i++)
        {
            using var failed = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", ApiKeySecret.Create()));
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        using var blocked = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));
        using var otherAddress = await other.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));

        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Equal("too_many_failed_authentications", (await GatewayRequests.ReadErrorAsync(blocked)).Code);
        Assert.InRange(int.Parse(Assert.Single(blocked.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal(HttpStatusCode.OK, otherAddress.StatusCode);
    }

    [Fact]
    public async Task With_redis_gone_limits_are_counted_locally_and_no_request_waits_longer_than_the_limiters_budget()
    {
        await using var redis = TcpProxy.To("127.0.0.1", RedisPort());
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = $"127.0.0.1:{redis.Port},connectTimeout=500",
            ["Maas:RateLimiter:Timeout"] = "00:00:00.300",
        });
        var key = await TestTenants.CreateTenantWithKeyAsync(fixture.Database, keyRequestsPerMinute: 2);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, key));

        redis.Cut();
        var slowest = TimeSpan.Zero;
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            var started = Stopwatch.StartNew();
            statuses.Add(await StatusAsync(gateway, key));
            slowest = started.Elapsed > slowest ? started.Elapsed : slowest;
        }

        // Locally the key starts again from its full limit of 2, then is limited: never "allow everything".
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        // The budget is 300 ms; the margin is for a loaded 2-core machine (this measured 2.7 s before the fix).
        Assert.True(slowest < TimeSpan.FromSeconds(1.5), $"slowest request took {slowest.TotalMilliseconds:F0} ms");
        Assert.Contains("maas_gateway_rate_limiter_unavailable_total", await gateway.Management.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_postgres_gone_known_keys_are_served_for_the_stale_period_and_unknown_keys_get_503()
    {
        await using var postgres = TcpProxy.To("127.0.0.1", PostgresPort());
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = await fixture.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = ThroughProxy(fixture.Database.ConnectionString, postgres.Port),
            ["Maas:Gateway:ApiKeyCacheTtl"] = "00:00:30",
            ["Maas:Gateway:ApiKeyStaleTtl"] = "00:10:00",
        }, clock);
        await gateway.RevocationSubscriptionReady();
        var known = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);
        var revoked = await TestTenants.CreateTenantWithKeyAsync(fixture.Database);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, known));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, revoked));

        postgres.Cut();
        clock.Advance(TimeSpan.FromMinutes(5));
        var servedStale = await StatusAsync(gateway, known);
        using var unknown = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", ApiKeySecret.Create()));

        // A revocation notice still arrives through Redis and holds while PostgreSQL is away.
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConfiguration))
        {
            await new ApiKeyRevocation(ApiKeyRevocationOptions.DefaultChannel).PublishAsync(connection, revoked.Id, CancellationToken.None);
        }

        var revokedStatus = await WaitForStatusAsync(gateway, revoked, HttpStatusCode.Unauthorized);
        clock.Advance(TimeSpan.FromMinutes(6));
        var pastStalePeriod = await StatusAsync(gateway, known);

        Assert.Equal(HttpStatusCode.OK, servedStale);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, revokedStatus);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, pastStalePeriod);

        postgres.Restore();
        Assert.Equal(HttpStatusCode.OK, await WaitForStatusAsync(gateway, known, HttpStatusCode.OK));
    }

    [Fact]
    public void No_committed_appsettings_holds_a_signing_secret()
    {
        var files = Directory.GetFiles(TestEnvironment.RepositoryRoot, "appsettings*.json", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToArray();

        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.DoesNotContain("SigningSecret", File.ReadAllText(f), StringComparison.OrdinalIgnoreCase));
    }

    private static async Task<HttpStatusCode> StatusAsync(GatewayInstance gateway, TestKey key)
    {
        using var response = await gateway.Client.SendAsync(GatewayRequests.Get("/v1/models", key.Secret));
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> WaitForStatusAsync(GatewayInstance gateway, TestKey key, HttpStatusCode expected)
    {
        var deadline = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            status = await StatusAsync(gateway, key);
            if (status != expected)
            {
                await Task.Delay(50);
            }
        }
        while (status != expected && deadline.Elapsed < TimeSpan.FromSeconds(10));

        return status;
    }

    private static int RedisPort() => ConfigurationOptions.Parse(TestEnvironment.RedisConfiguration).EndPoints.OfType<DnsEndPoint>().Select(e => e.Port)
        .Concat(ConfigurationOptions.Parse(TestEnvironment.RedisConfiguration).EndPoints.OfType<IPEndPoint>().Select(e => e.Port)).First();

    private static int PostgresPort() => new Npgsql.NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString).Port;

    private static string ThroughProxy(string connectionString, int port) =>
        new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { Host = "127.0.0.1", Port = port, Timeout = 2 }.ConnectionString;
}
