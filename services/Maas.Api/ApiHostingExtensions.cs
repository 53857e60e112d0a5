using Maas.Api.Health;
using Maas.Infrastructure.Persistence;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Prometheus;

namespace Maas.Api;

/// <summary>
/// Minimal hosting for the api (PostgreSQL context, health, metrics). Kept in one place so it can be
/// replaced by the shared service defaults of Maas.Infrastructure.
/// </summary>
public static class ApiHostingExtensions
{
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddApiHosting(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("ConnectionStrings:Postgres is required.");
        }

        builder.Services.AddDbContext<MaasDbContext>(o => o.UseNpgsql(connectionString));
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [ReadyTag]);
        return builder;
    }

    public static WebApplication MapApiDefaultEndpoints(this WebApplication app)
    {
        app.UseHttpMetrics();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag) });
        app.MapMetrics("/metrics");
        return app;
    }
}
