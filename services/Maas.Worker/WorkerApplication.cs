using Maas.Grains.Abstractions.Placement;
using Maas.Grains.Hosting;
using Maas.Grains.Models;

namespace Maas.Worker;

/// <summary>Builds the worker: an Orleans silo with role "worker" hosting model replicas, plus health and metrics over HTTP.</summary>
public static class WorkerApplication
{
    public const string DefaultUrl = "http://127.0.0.1:5200";
    public const int DefaultSiloPort = 11112;
    public const int DefaultGatewayPort = 30001;

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.AddWorkerHosting();
        builder.Services.AddMaasModelHosting();

        var orleans = builder.Configuration.GetSection(OrleansHostingOptions.SectionName).Get<OrleansHostingOptions>() ?? new OrleansHostingOptions();
        orleans.SiloPort = orleans.SiloPort == 0 ? DefaultSiloPort : orleans.SiloPort;
        orleans.GatewayPort = orleans.GatewayPort == 0 ? DefaultGatewayPort : orleans.GatewayPort;
        var models = builder.Configuration.GetSection(ModelCatalogOptions.SectionName).Get<ModelCatalogOptions>()?.Models.Select(m => m.Id) ?? [];
        builder.UseOrleans(silo => silo.UseMaasClustering(orleans).AddMaasGrains(SiloRoles.Worker, models));

        var app = builder.Build();
        app.MapWorkerDefaultEndpoints();
        return app;
    }
}
