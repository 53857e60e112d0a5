using Maas.Grains.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Maas.Grains.Hosting;

public static class ModelHostingServiceCollectionExtensions
{
    /// <summary>The model catalog ("Maas:Models"), validated at start. Both api and worker need it.</summary>
    public static IServiceCollection AddMaasModelCatalog(this IServiceCollection services)
    {
        services.AddOptions<ModelCatalogOptions>().BindConfiguration(ModelCatalogOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelCatalogOptions>, ModelCatalogOptionsValidator>());
        return services;
    }

    /// <summary>Worker-only: loads each configured model once (default loader: the engine) and hosts replica grains.</summary>
    public static IServiceCollection AddMaasModelHosting(this IServiceCollection services)
    {
        services.AddMaasModelCatalog();
        services.TryAddSingleton<IModelLoader, EngineModelLoader>();
        services.TryAddSingleton<ReplicaMetrics>();
        services.TryAddSingleton<ModelReplicaHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelReplicaHost>());
        return services;
    }
}
