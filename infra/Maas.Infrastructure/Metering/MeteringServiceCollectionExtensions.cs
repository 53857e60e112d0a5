using Maas.Infrastructure.Billing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maas.Infrastructure.Metering;

public static class MeteringServiceCollectionExtensions
{
    /// <summary>
    /// The price book (<see cref="PriceBookCache"/>, "Maas:Billing"), for admission and the usage writer. Needs a scoped
    /// <c>MaasDbContext</c> (<c>AddMaasPostgres</c>, or the silo's own registration).
    /// </summary>
    public static IServiceCollection AddMaasPriceBook(this IServiceCollection services)
    {
        services.AddOptions<PriceBookOptions>().BindConfiguration(PriceBookOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PriceBookCache>();
        return services;
    }

    /// <summary>
    /// Durable metering: <see cref="PostgresUsageSink"/> as the <see cref="IUsageSink"/> (register before
    /// <c>AddMaasGeneration</c>, whose log sink is only a fallback), the spill and its replayer, partition maintenance,
    /// metrics and the price book ("Maas:Metering", "Maas:Billing"). Needs <c>AddMaasPostgres</c>.
    /// </summary>
    public static IServiceCollection AddMaasMetering(this IServiceCollection services)
    {
        services.AddOptions<MeteringOptions>().BindConfiguration(MeteringOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddMaasPriceBook();
        services.TryAddSingleton<MeteringMetrics>();
        services.TryAddSingleton<UsageEventWriter>();
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<MeteringOptions>>().Value;
            var directory = options.SpillDirectory is { Length: > 0 } configured
                ? configured
                : Path.Combine(sp.GetRequiredService<IHostEnvironment>().ContentRootPath, "metering-spill");
            return new UsageSpill(directory, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<MeteringMetrics>(), sp.GetRequiredService<ILogger<UsageSpill>>());
        });
        services.TryAddSingleton<PostgresUsageSink>();
        services.Replace(ServiceDescriptor.Singleton<IUsageSink>(sp => sp.GetRequiredService<PostgresUsageSink>()));
        services.AddHostedService(sp => sp.GetRequiredService<PostgresUsageSink>());
        services.TryAddSingleton<UsageSpillReplayer>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageSpillReplayer>());
        services.TryAddSingleton<UsagePartitionMaintenance>();
        services.AddHostedService(sp => sp.GetRequiredService<UsagePartitionMaintenance>());
        return services;
    }
}
