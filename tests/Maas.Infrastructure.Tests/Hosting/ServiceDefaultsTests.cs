using System.Net;
using System.Text.Json;
using Maas.Infrastructure.Hosting;
using Maas.Infrastructure.Persistence;
using Maas.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Maas.Infrastructure.Tests.Hosting;

public sealed class ServiceDefaultsTests
{
    private const string UnreachablePostgres = "Host=127.0.0.1;Port=1;Username=maas;Password=maas;Database=maas";
    private const string UnreachableRedis = "127.0.0.1:1";

    private static Dictionary<string, string?> Settings(string? postgres, string? redis) => new()
    {
        ["ConnectionStrings:Postgres"] = postgres,
        ["ConnectionStrings:Redis"] = redis,
    };

    [Fact]
    public async Task Ready_is_503_and_names_both_checks_when_postgres_and_redis_are_unreachable_while_live_is_200()
    {
        await using var service = await TestService.StartAsync(Settings(UnreachablePostgres, UnreachableRedis));

        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync(MaasServiceDefaults.LiveEndpoint)).StatusCode);
        var ready = await service.Management.GetAsync(MaasServiceDefaults.ReadyEndpoint);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var report = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("Unhealthy", report.RootElement.GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString());
        Assert.Equal("Unhealthy", report.RootElement.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_stays_200_and_reports_redis_degraded_when_redis_is_optional_for_the_process()
    {
        await using var service = await TestService.StartAsync(Settings(TestEnvironment.PostgresConnectionString, UnreachableRedis), redisUnreachable: HealthStatus.Degraded);

        var ready = await service.Management.GetAsync(MaasServiceDefaults.ReadyEndpoint);
        var body = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
        using var report = JsonDocument.Parse(body);
        Assert.Equal("Degraded", report.RootElement.GetProperty("status").GetString());
        Assert.Equal("Degraded", report.RootElement.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("Healthy", report.RootElement.GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_is_200_with_the_real_postgres_and_redis()
    {
        await using var service = await TestService.StartAsync(Settings(TestEnvironment.PostgresConnectionString, TestEnvironment.RedisConfiguration));

        var ready = await service.Management.GetAsync(MaasServiceDefaults.ReadyEndpoint);
        var body = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, body);
        using var report = JsonDocument.Parse(body);
        Assert.Equal("Healthy", report.RootElement.GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString());
        Assert.Equal("Healthy", report.RootElement.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_failing_service_specific_readiness_check_makes_ready_503_but_does_not_affect_live()
    {
        await using var service = await TestService.StartAsync(
            Settings(TestEnvironment.PostgresConnectionString, TestEnvironment.RedisConfiguration),
            services => services.AddHealthChecks().AddCheck("model", () => HealthCheckResult.Unhealthy("model not loaded yet"), [MaasHealthTags.Ready]));

        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync(MaasServiceDefaults.LiveEndpoint)).StatusCode);
        var ready = await service.Management.GetAsync(MaasServiceDefaults.ReadyEndpoint);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("model not loaded yet", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_endpoint_serves_prometheus_text_including_http_request_metrics()
    {
        await using var service = await TestService.StartAsync(Settings(UnreachablePostgres, UnreachableRedis));
        await service.Client.GetAsync(MaasServiceDefaults.LiveEndpoint);

        var metrics = await service.Management.GetStringAsync(MaasServiceDefaults.MetricsEndpoint);
        Assert.Contains("# TYPE", metrics, StringComparison.Ordinal);
        Assert.Contains("http_requests_received_total", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_public_listener_serves_only_liveness_and_the_management_listener_only_management_endpoints()
    {
        await using var service = await TestService.StartAsync(Settings(UnreachablePostgres, UnreachableRedis),
            configure: services => services.AddHealthChecks().AddCheck("secret", () => HealthCheckResult.Unhealthy("Password=hunter2 at Npgsql.Connect"), [MaasHealthTags.Ready]));
        using var publicLive = await service.Client.GetAsync(MaasServiceDefaults.LiveEndpoint);
        using var publicReady = await service.Client.GetAsync(MaasServiceDefaults.ReadyEndpoint);
        using var publicMetrics = await service.Client.GetAsync(MaasServiceDefaults.MetricsEndpoint);
        using var spoofedHost = new HttpRequestMessage(HttpMethod.Get, MaasServiceDefaults.MetricsEndpoint);
        spoofedHost.Headers.Host = service.Management.BaseAddress!.Authority;
        using var publicSpoofed = await service.Client.SendAsync(spoofedHost);
        using var managementLive = await service.Management.GetAsync(MaasServiceDefaults.LiveEndpoint);
        using var managementReady = await service.Management.GetAsync(MaasServiceDefaults.ReadyEndpoint);

        Assert.Equal(HttpStatusCode.OK, publicLive.StatusCode);
        Assert.DoesNotContain("hunter2", await publicLive.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, publicReady.StatusCode);
        Assert.DoesNotContain("hunter2", await publicReady.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, publicMetrics.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, publicSpoofed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, managementLive.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, managementReady.StatusCode);
        Assert.Contains("hunter2", await managementReady.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Service_endpoints_do_not_answer_on_the_management_listener()
    {
        var app = TestService.Build(Settings(UnreachablePostgres, UnreachableRedis));
        app.MapGet("/v1/ping", () => "pong");
        await app.StartAsync();
        try
        {
            var management = new Uri(app.Services.GetRequiredService<IOptions<ManagementOptions>>().Value.Url);
            var publicAddress = new Uri(app.Urls.First(u => new Uri(u).Port != management.Port));
            using var http = new HttpClient();

            Assert.Equal("pong", await http.GetStringAsync(new Uri(publicAddress, "/v1/ping")));
            using var onManagement = await http.GetAsync(new Uri(management, "/v1/ping"));
            Assert.Equal(HttpStatusCode.NotFound, onManagement.StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Start_fails_when_a_public_url_uses_the_management_port()
    {
        var port = FreePort.Next();
        var settings = Settings(UnreachablePostgres, UnreachableRedis);
        settings["Maas:Management:Url"] = $"http://127.0.0.1:{port}";
        var app = TestService.Build(settings);
        app.Urls.Add($"http://127.0.0.1:{port}");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        Assert.Contains("management port", error.ToString(), StringComparison.Ordinal);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task Start_fails_when_the_postgres_connection_string_is_missing()
    {
        await using var app = TestService.Build(Settings(null, TestEnvironment.RedisConfiguration));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("ConnectionStrings:Postgres", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_fails_when_the_redis_connection_string_is_missing()
    {
        await using var app = TestService.Build(Settings(TestEnvironment.PostgresConnectionString, null));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("ConnectionStrings:Redis", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_pooled_context_factory_connects_with_the_configured_connection_string()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var service = await TestService.StartAsync(Settings(database.ConnectionString, TestEnvironment.RedisConfiguration));

        var factory = service.App.Services.GetRequiredService<IDbContextFactory<MaasDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        Assert.Equal(database.Name, db.Database.GetDbConnection().Database);
        Assert.Equal(0, await db.Tenants.CountAsync());
    }

    [Fact]
    public async Task Migrate_on_start_applies_the_schema_to_an_empty_database()
    {
        await using var database = await PostgresTestDatabase.CreateEmptyAsync();
        var settings = Settings(database.ConnectionString, TestEnvironment.RedisConfiguration);
        settings[PostgresOptions.MigrateOnStartKey] = "true";
        await using var service = await TestService.StartAsync(settings);

        await using var db = MaasDbContext.Create(database.ConnectionString);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(0, await db.ApiKeys.CountAsync());
    }
}
