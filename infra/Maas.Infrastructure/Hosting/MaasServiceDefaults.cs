using Maas.Infrastructure.OpenAi;
using Maas.Infrastructure.Persistence;
using Maas.Infrastructure.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Prometheus;
using StackExchange.Redis;

namespace Maas.Infrastructure.Hosting;

/// <summary>
/// What every Maas process (gateway, api, worker) shares: logging, health checks, metrics, the management
/// listener, and the PostgreSQL / Redis registrations with their readiness checks.
/// </summary>
public static class MaasServiceDefaults
{
    public const string LiveEndpoint = "/health/live";
    public const string ReadyEndpoint = "/health/ready";
    public const string MetricsEndpoint = "/metrics";

    /// <summary>
    /// Listens on <paramref name="defaultUrl"/> (each service's loopback port under `make run`) unless urls were
    /// configured (ASPNETCORE_URLS, --urls, a test's settings).
    /// </summary>
    public static WebApplicationBuilder UseDefaultUrl(this WebApplicationBuilder builder, string defaultUrl)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(defaultUrl);
        }

        return builder;
    }

    /// <summary>
    /// Single-line structured console logs (or JSON when Maas:Logging:Json is true), the health-check service and
    /// the management listener ("Maas:Management:Url", default http://127.0.0.1:<paramref name="defaultManagementPort"/>),
    /// which alone serves /metrics and the detailed /health/ready. Services add their own readiness checks with
    /// <see cref="MaasHealthTags.Ready"/>.
    /// </summary>
    public static TBuilder AddMaasServiceDefaults<TBuilder>(this TBuilder builder, int defaultManagementPort)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<ManagementOptions>()
            .Configure(o => o.Url = $"http://127.0.0.1:{defaultManagementPort}")
            .BindConfiguration(ManagementOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHostedService<ManagementListenerRegistration>();

        builder.Logging.ClearProviders();
        if (builder.Configuration.GetValue<bool>("Maas:Logging:Json"))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.IncludeScopes = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }

        builder.Services.AddHealthChecks();
        return builder;
    }

    /// <summary>
    /// MaasDbContext as a pooled IDbContextFactory (plus a scoped context made from it) from
    /// ConnectionStrings:Postgres, validated at start, with a "postgres" readiness check. Applies
    /// migrations before serving when Maas:Database:MigrateOnStart is true.
    /// </summary>
    public static TBuilder AddMaasPostgres<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<PostgresOptions>()
            .Configure<IConfiguration>((o, config) =>
            {
                o.ConnectionString = config.GetConnectionString(PostgresOptions.ConnectionStringName);
                o.MigrateOnStart = config.GetValue<bool>(PostgresOptions.MigrateOnStartKey);
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddPooledDbContextFactory<MaasDbContext>((sp, o) =>
            o.UseNpgsql(sp.GetRequiredService<IOptions<PostgresOptions>>().Value.ConnectionString));
        builder.Services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<MaasDbContext>>().CreateDbContext());

        if (builder.Configuration.GetValue<bool>(PostgresOptions.MigrateOnStartKey))
        {
            builder.Services.AddHostedService<DatabaseMigrationService>();
        }

        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", HealthStatus.Unhealthy, [MaasHealthTags.Ready]);
        return builder;
    }

    /// <summary>
    /// One shared IConnectionMultiplexer from ConnectionStrings:Redis (AbortOnConnectFail=false, so
    /// Redis being down never blocks start-up; commands fail fast instead of queueing while it is down),
    /// validated at start, with a "redis" readiness check that reports <paramref name="whenUnreachable"/>
    /// when Redis does not answer: Unhealthy (readiness 503) where the process cannot serve without Redis,
    /// Degraded (readiness still 200) where it degrades gracefully.
    /// </summary>
    public static TBuilder AddMaasRedis<TBuilder>(this TBuilder builder, HealthStatus whenUnreachable)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<RedisOptions>()
            .Configure<IConfiguration>((o, config) => o.Configuration = config.GetConnectionString(RedisOptions.ConnectionStringName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            return ConnectionMultiplexer.Connect(RedisConnectionFactory.CreateOptions(options.Configuration!, options.ConnectTimeoutMilliseconds));
        });

        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", whenUnreachable, [MaasHealthTags.Ready]);
        return builder;
    }

    /// <summary>
    /// /health/live (200 whenever the process serves HTTP; on every listener, with no detail), and on the management
    /// listener only /health/ready (200 only when every check tagged "ready" passes, else 503, with each check's
    /// description) and /metrics (Prometheus). Every other endpoint answers only on the public listeners; a request
    /// on the wrong listener is a 404. Also adds prometheus-net's HTTP request metrics middleware, so call this before
    /// mapping the service's own endpoints.
    /// </summary>
    public static WebApplication MapMaasDefaultEndpoints(this WebApplication app)
    {
        var managementPort = app.Services.GetRequiredService<IOptions<ManagementOptions>>().Value.Port;
        app.Use((context, next) =>
        {
            // The socket's local port, which a client cannot forge (a Host header could name any port).
            var onManagement = context.Connection.LocalPort == managementPort;
            var metadata = context.GetEndpoint()?.Metadata;
            var allowed = metadata?.GetMetadata<AnyListenerEndpoint>() is not null
                || onManagement == (metadata?.GetMetadata<ManagementEndpoint>() is not null);
            return allowed
                ? next(context)
                : ApiError.Of(StatusCodes.Status404NotFound, $"Unknown request URL: {context.Request.Method} {context.Request.Path}.", "invalid_request_error", "unknown_url").WriteAsync(context);
        });
        app.UseHttpMetrics();
        MapHealth(app, LiveEndpoint, _ => false).WithMetadata(AnyListenerEndpoint.Instance);
        MapHealth(app, ReadyEndpoint, check => check.Tags.Contains(MaasHealthTags.Ready)).WithMetadata(ManagementEndpoint.Instance);
        app.MapMetrics(MetricsEndpoint).WithMetadata(ManagementEndpoint.Instance);
        return app;
    }

    private static IEndpointConventionBuilder MapHealth(IEndpointRouteBuilder endpoints, string pattern, Func<HealthCheckRegistration, bool> predicate)
    {
        return endpoints.MapHealthChecks(pattern, new HealthCheckOptions
        {
            Predicate = predicate,
            ResponseWriter = HealthReportWriter.WriteAsync,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = 200,
                [HealthStatus.Degraded] = 200,
                [HealthStatus.Unhealthy] = 503,
            },
        });
    }
}
