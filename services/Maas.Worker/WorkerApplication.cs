using Maas.Grains.Hosting;
using Maas.Grains.Inference.Hosting;
using Maas.Grains.Inference.Models;
using Maas.Infrastructure.Hosting;
using Maas.Infrastructure.Models;
using Maas.Worker.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Maas.Worker;

/// <summary>Builds the worker: an Orleans silo with role "worker" hosting model replicas, plus health and metrics over HTTP.</summary>
public static class WorkerApplication
{
    public const string DefaultUrl = "http://127.0.0.1:5200";

    /// <summary>Loopback port of /metrics and the detailed /health/ready unless Maas:Management:Url says otherwise.</summary>
    public const int DefaultManagementPort = 5201;

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.UseDefaultUrl(DefaultUrl);

        // Nothing on the worker's path needs Redis yet (the KV-cache tier will degrade to compute), so it only degrades readiness.
        builder.AddMaasServiceDefaults(DefaultManagementPort).AddMaasPostgres().AddMaasRedis(HealthStatus.Degraded);
        builder.Services.AddHealthChecks().AddCheck<ModelsLoadedHealthCheck>("models", HealthStatus.Unhealthy, [MaasHealthTags.Ready]);
        builder.Services.AddMaasModelHosting();

        var models = builder.Configuration.GetSection(ModelCatalogOptions<EngineModelOptions>.SectionName).Get<ModelCatalogOptions<EngineModelOptions>>()?.Models.Select(m => m.Id) ?? [];
        builder.AddMaasSilo(SiloDefaults.Worker, models);

        var app = builder.Build();
        app.MapMaasDefaultEndpoints();
        return app;
    }
}
