using Maas.Grains.Inference.Models;
using Maas.Infrastructure.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Maas.Grains.Inference.Hosting;

public static class ModelHostingServiceCollectionExtensions
{
    /// <summary>Worker silos: loads each configured model once (default loader: the engine) and hosts replica grains.</summary>
    public static IServiceCollection AddMaasModelHosting(this IServiceCollection services)
    {
        services.AddMaasModelCatalog<EngineModelOptions>();
        services.AddOptions<ModelHostingOptions>().BindConfiguration(ModelHostingOptions.SectionName).ValidateOnStart();
        services.TryAddSingleton<IModelLoader, EngineModelLoader>();
        services.TryAddSingleton<ReplicaMetrics>();
        services.TryAddSingleton<ModelReplicaHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelReplicaHost>());
        return services;
    }
}
