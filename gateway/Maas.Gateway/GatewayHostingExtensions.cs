using Maas.Infrastructure.Persistence;
using Microsoft.EntityFrameworkCore;
using Prometheus;
using StackExchange.Redis;

namespace Maas.Gateway;

/// <summary>
/// The gateway's minimal stand-in for the shared service defaults (PostgreSQL, Redis, health,
/// metrics). Kept in this one file so it can be swapped for infra's AddMaasServiceDefaults.
/// </summary>
public static class GatewayHostingExtensions
{
    /// <summary>Registers a pooled MaasDbContext factory (ConnectionStrings:Postgres) and one Redis multiplexer (ConnectionStrings:Redis).</summary>
    public static WebApplicationBuilder AddGatewayHosting(this WebApplicationBuilder builder)
    {
        var postgres = builder.Configuration.GetConnectionString("Postgres");
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (string.IsNullOrWhiteSpace(postgres) || string.IsNullOrWhiteSpace(redis))
        {
            throw new InvalidOperationException("ConnectionStrings:Postgres and ConnectionStrings:Redis are required.");
        }

        builder.Services.AddPooledDbContextFactory<MaasDbContext>(o => o.UseNpgsql(postgres));
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(redis);
            // Start and keep running without Redis; callers fail open instead of queueing behind it.
            options.AbortOnConnectFail = false;
            options.BacklogPolicy = BacklogPolicy.FailFast;
            return ConnectionMultiplexer.Connect(options);
        });
        return builder;
    }

    /// <summary>/health/live (process up), /health/ready (PostgreSQL reachable), /metrics; none authenticated or proxied.</summary>
    public static WebApplication MapGatewayDefaultEndpoints(this WebApplication app)
    {
        app.MapGet("/health/live", () => Results.Text("Healthy"));
        app.MapGet("/health/ready", async (IDbContextFactory<MaasDbContext> contexts, CancellationToken ct) =>
        {
            try
            {
                await using var db = await contexts.CreateDbContextAsync(ct);
                return await db.Database.CanConnectAsync(ct)
                    ? Results.Text("Healthy")
                    : Results.Text("Unhealthy: PostgreSQL unreachable", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return Results.Text("Unhealthy: PostgreSQL unreachable", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        app.MapMetrics();
        return app;
    }
}
