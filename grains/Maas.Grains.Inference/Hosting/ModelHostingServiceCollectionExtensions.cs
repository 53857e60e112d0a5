using Maas.Grains.Inference.FineTunes;
using Maas.Grains.Inference.Models;
using Maas.Infrastructure.FineTunes;
using Maas.Infrastructure.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Maas.Grains.Inference.Hosting;

public static class ModelHostingServiceCollectionExtensions
{
    /// <summary>
    /// Worker silos: loads each configured model once (default loader: the engine) and hosts replica grains and the
    /// expert shards of tenant fine-tunes ("Maas:FineTunes": idle unload time) with the silo's expert registry.
    /// </summary>
    public static IServiceCollection AddMaasModelHosting(this IServiceCollection services)
    {
        services.AddOptions<FineTuneOptions>().BindConfiguration(FineTuneOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ExpertRegistry>();
        services.AddMaasModelCatalog<EngineModelOptions>();
        services.AddOptions<ModelHostingOptions>().BindConfiguration(ModelHostingOptions.SectionName).ValidateOnStart();
        services.TryAddSingleton<IModelLoader, EngineModelLoader>();
        services.TryAddSingleton<ReplicaMetrics>();
        services.TryAddSingleton<ModelReplicaHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelReplicaHost>());
        return services;
    }
}
