using Maas.Generation.Models;
using Maas.Generation.Pipeline;
using Maas.Infrastructure.Metering;
using Maas.Infrastructure.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Maas.Generation;

public static class GenerationServiceCollectionExtensions
{
    /// <summary>
    /// The generation pipeline and what it needs: the served-model catalog ("Maas:Models", refreshed from PostgreSQL
    /// every "Maas:ModelCatalog:RefreshInterval"), replica selection, metrics and a usage sink (the log until durable
    /// metering registers its own). The caller provides an Orleans <c>IGrainFactory</c> (a silo or a client) and PostgreSQL.
    /// </summary>
    public static IServiceCollection AddMaasGeneration(this IServiceCollection services)
    {
        services.AddMaasModelCatalog<ServedModelOptions>();
        services.AddOptions<ModelCatalogRefreshOptions>().BindConfiguration(ModelCatalogRefreshOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ServedModelCatalog>();
        services.AddHostedService<ModelCatalogRefresher>();
        services.TryAddSingleton<ReplicaSelector>();
        services.TryAddSingleton<GenerationMetrics>();
        services.TryAddSingleton<IUsageSink, LoggingUsageSink>();
        services.TryAddSingleton<GenerationPipeline>();
        return services;
    }
}
