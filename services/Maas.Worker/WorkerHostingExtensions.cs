using Maas.Infrastructure.Hosting;
using Maas.Worker.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Maas.Worker;

/// <summary>The worker's share of the service defaults, plus "ready" only once its models are loaded.</summary>
public static class WorkerHostingExtensions
{
    public static WebApplicationBuilder AddWorkerHosting(this WebApplicationBuilder builder)
    {
        builder.AddMaasServiceDefaults().AddMaasPostgres();
        builder.Services.AddHealthChecks().AddCheck<ModelsLoadedHealthCheck>("models", HealthStatus.Unhealthy, [MaasHealthTags.Ready]);
        return builder;
    }

    public static WebApplication MapWorkerDefaultEndpoints(this WebApplication app) => app.MapMaasDefaultEndpoints();
}
