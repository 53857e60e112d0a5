using Maas.Infrastructure.Hosting;

namespace Maas.Api;

/// <summary>The api's share of the service defaults: logging, PostgreSQL with its readiness check, health and metrics endpoints.</summary>
public static class ApiHostingExtensions
{
    public static WebApplicationBuilder AddApiHosting(this WebApplicationBuilder builder)
    {
        builder.AddMaasServiceDefaults().AddMaasPostgres();
        return builder;
    }

    public static WebApplication MapApiDefaultEndpoints(this WebApplication app) => app.MapMaasDefaultEndpoints();
}
