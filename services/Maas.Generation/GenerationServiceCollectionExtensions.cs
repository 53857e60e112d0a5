using Maas.Generation.FineTunes;
using Maas.Generation.Models;
using Maas.Generation.Pipeline;
using Maas.Infrastructure.FineTunes;
using Maas.Infrastructure.Hosting;
using Maas.Infrastructure.Metering;
using Maas.Infrastructure.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Maas.Generation;

public static class GenerationServiceCollectionExtensions
{
    /// <summary>
    /// The generation pipeline and what it needs: the served-model catalog ("Maas:Models", refreshed from PostgreSQL
    /// every "Maas:ModelCatalog:RefreshInterval"), replica selection, metrics, the price book with its coverage check
    /// ("pricing" readiness: Degraded while a served model has no price), and a usage sink: <c>AddMaasMetering</c>'s
    /// durable one when registered first, else the log. The caller provides an Orleans <c>IGrainFactory</c> (a silo or a client) and PostgreSQL.
    /// </summary>
    public static IServiceCollection AddMaasGeneration(this IServiceCollection services)
    {
        services.AddMaasModelCatalog<ServedModelOptions>();
        services.AddOptions<ModelCatalogRefreshOptions>().BindConfiguration(ModelCatalogRefreshOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ServedModelCatalog>();
        services.AddHostedService<ModelCatalogRefresher>();
        services.AddOptions<GenerationOptions>().BindConfiguration(GenerationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<FineTuneOptions>().BindConfiguration(FineTuneOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<FineTuneDirectory>();
        services.TryAddSingleton<PromptEncoder>();
        services.TryAddSingleton<ReplicaSelector>();
        services.TryAddSingleton<ReplicaCapacities>();
        services.TryAddSingleton<GenerationMetrics>();
        services.AddMaasPriceBook();
        services.TryAddSingleton<ModelPriceCoverage>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelPriceCoverage>());
        services.AddHealthChecks().AddCheck<ModelPriceCoverage>(ModelPriceCoverage.HealthCheckName, HealthStatus.Degraded, [MaasHealthTags.Ready]);
        services.TryAddSingleton<IUsageSink, LoggingUsageSink>();
        services.TryAddSingleton<GenerationPipeline>();
        return services;
    }
}
